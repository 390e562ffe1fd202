"""Forms for flagging, the review queue, sanctions, the log filter, rules and settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from community.forms import Form
from community.moderation.models import FlagReason, WatchedAction

_TEXT = [Length(max=5000)]

FLAG_LABELS = {
    FlagReason.DISRESPECTFUL: _l("Disrespectful"),
    FlagReason.CONFIDENTIALITY: _l("Breaks confidentiality"),
    FlagReason.PERSONAL_DATA: _l("Shares personal data"),
    FlagReason.OFF_TOPIC: _l("Off topic"),
    FlagReason.SPAM: _l("Spam"),
    FlagReason.SAFETY: _l("Safety concern: someone may be at risk"),
    FlagReason.OTHER: _l("Something else"),
}
ACTION_LABELS = {
    WatchedAction.BLOCK: _l("Block: refuse the post"),
    WatchedAction.HOLD: _l("Hold for review"),
    WatchedAction.CENSOR: _l("Censor: hide the word"),
    WatchedAction.FLAG: _l("Flag: publish and queue"),
}
LOG_ACTIONS = ("hold", "auto_flag", "flag", "hide", "safety_alert", "escalate", "claim",
               "unclaim", "approve", "edit_approve", "reject", "remove", "warn", "mute",
               "unmute", "remove_member", "suspend")


class FlagForm(Form):
    reason = SelectField(_l("What is wrong?"), validators=[DataRequired()],
                         choices=[SelectChoice(r.value, label) for r, label in FLAG_LABELS.items()])
    note = TextAreaField(_l("Anything the facilitators should know (optional)"),
                         validators=[Optional(), *_TEXT])


class VersionForm(Form):
    version = HiddenField(validators=[DataRequired()])


class ApproveForm(VersionForm):
    body = TextAreaField(_l("Corrected text (leave as it is to approve unchanged)"),
                         validators=[Optional(), Length(max=100_000)])
    reason = StringField(_l("Why you changed it (kept in the post's history)"),
                         validators=[Optional(), *_TEXT])


class DecideForm(VersionForm):
    reason = TextAreaField(_l("Reason (sent privately to the author)"),
                           validators=[DataRequired(), *_TEXT])


class WarnForm(Form):
    message = TextAreaField(_l("Warning (sent privately to the author)"),
                            validators=[DataRequired(), *_TEXT])


class MuteForm(Form):
    hours = IntegerField(_l("Mute for how many hours?"), default=24,
                         validators=[DataRequired(), NumberRange(min=1, max=24 * 365)])
    reason = TextAreaField(_l("Reason (the member sees it)"), validators=[DataRequired(), *_TEXT])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason (the member sees it)"), validators=[DataRequired(), *_TEXT])


class WatchedWordForm(Form):
    pattern = StringField(_l("Word or phrase"), validators=[DataRequired(), Length(max=1000)])
    action = SelectField(_l("What happens"), validators=[DataRequired()],
                         choices=[SelectChoice(a.value, label)
                                  for a, label in ACTION_LABELS.items()])


class SettingsForm(Form):
    new_member_holds = IntegerField(_l("New members: how many first posts are reviewed"),
                                    validators=[Optional(), NumberRange(min=0, max=100)])
    flag_threshold = IntegerField(_l("Flags that hide a post until it is reviewed"),
                                  validators=[Optional(), NumberRange(min=1, max=100)])


class ContactForm(Form):
    email = StringField(_l("E-mail of the user to designate"),
                        validators=[DataRequired(), Length(max=254)])


class LogFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(_l("Action"), validators=[Optional()],
                         choices=[SelectChoice("", _l("Any action")),
                                  *(SelectChoice(a, a) for a in LOG_ACTIONS)])
    target_user_id = IntegerField(_l("Member (user id)"),
                                  validators=[Optional(), NumberRange(min=1)])
    since = DateField(_l("From (UTC day)"), validators=[Optional()])
