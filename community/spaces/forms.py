"""Forms for creating and configuring spaces, inviting, joining and requesting to join."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from community.forms import Form, choices
from community.spaces.actions import (
    INVITATION_MAX_HOURS,
    INVITATION_MAX_USES,
    MESSAGE_MAX,
    NAME_MAX,
    PURPOSE_MAX,
    RETENTION_MAX_DAYS,
)

JOIN_POLICIES = choices([
    ("invite", _l("By invitation only")),
    ("request", _l("Invitation, or on request approved by a facilitator"))])
ANONYMITY = choices([
    ("real_names", _l("Real names: members appear under their own name")),
    ("pseudonyms_allowed", _l("Pseudonyms allowed: each member chooses")),
    ("pseudonyms_required", _l("Pseudonyms required: peers never see real names"))])
MODERATION = choices([
    ("post", _l("Review after posting (flags and watched words)")),
    ("new_members", _l("Review the first posts of new members before they appear")),
    ("pre", _l("Review every post before it appears"))])
ROLES = choices([("member", _l("Member")), ("facilitator", _l("Facilitator"))])


class SpaceForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=PURPOSE_MAX)])
    join_policy = SelectField(_l("Who can join"), choices=JOIN_POLICIES)
    anonymity = SelectField(_l("Names and pseudonyms"), choices=ANONYMITY)
    moderation_policy = SelectField(_l("Moderation"), choices=MODERATION)
    retention_days = IntegerField(
        _l("Keep posts for this many days"),
        validators=[Optional(), NumberRange(min=1, max=RETENTION_MAX_DAYS)])

    def settings(self) -> dict[str, object]:
        return {"name": self.name.data or "", "purpose": self.purpose.data or "",
                "join_policy": self.join_policy.data, "anonymity": self.anonymity.data,
                "moderation_policy": self.moderation_policy.data,
                "retention_days": self.retention_days.data}


class FacilitatorForm(Form):
    email = EmailField(_l("E-mail of the person to appoint"),
                       validators=[DataRequired(), Length(max=254)])


class InvitationForm(Form):
    role = SelectField(_l("Joins as"), choices=ROLES, default="member")
    max_uses = IntegerField(_l("How many people can use the link"), default=1,
                            validators=[DataRequired(),
                                        NumberRange(min=1, max=INVITATION_MAX_USES)])
    expires_in_hours = IntegerField(_l("Valid for (hours)"), default=72,
                                    validators=[DataRequired(),
                                                NumberRange(min=1, max=INVITATION_MAX_HOURS)])


class JoinForm(Form):
    """Accepting an invitation: only a pseudonym, where the space uses them."""

    pseudonym = StringField(_l("Pseudonym"), validators=[Length(max=40)])


class JoinRequestForm(Form):
    pseudonym = StringField(_l("Pseudonym"), validators=[Length(max=40)])
    message = TextAreaField(_l("Message to the facilitators (optional)"),
                            validators=[Length(max=MESSAGE_MAX)])
