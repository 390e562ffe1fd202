"""Forms for the admin pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from community.admin.audit import AuditAction
from community.admin.schemas import REASON_MAX
from community.forms import Form


class SuspendForm(Form):
    reason = TextAreaField(_l("Why is the account suspended?"),
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 3, "maxlength": REASON_MAX})


class AdminRoleForm(Form):
    is_admin = HiddenField(validators=[DataRequired()])  # "1" to give, "0" to take


class UserSearchForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("E-mail or name contains"), validators=[Optional(), Length(max=254)])


def _action_choices() -> list[SelectChoice]:
    return [SelectChoice("", str(_l("Any action"))),
            *(SelectChoice(a.value, a.value) for a in AuditAction)]


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(_l("Action"), validators=[Optional()])
    actor_id = IntegerField(_l("Actor (user id)"), validators=[Optional(), NumberRange(min=1)])
    space_id = IntegerField(_l("Space id"), validators=[Optional(), NumberRange(min=1)])
    since = DateField(_l("From (UTC day)"), validators=[Optional()])
    until = DateField(_l("To (UTC day, inclusive)"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.action.choices = _action_choices()

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("Must not be before the first day."))


class SiteSettingsForm(Form):
    default_anonymity = SelectField(_l("Names and pseudonyms in new spaces"), choices=[
        SelectChoice("real_names", _l("Real names")),
        SelectChoice("pseudonyms_allowed", _l("Pseudonyms allowed")),
        SelectChoice("pseudonyms_required", _l("Pseudonyms required"))])
    facilitators_see_identity = BooleanField(_l(
        "Facilitators may look up who is behind a pseudonym (each look-up is recorded)"))
    default_retention_days = IntegerField(_l("Keep posts in new spaces for this many days"),
                                          validators=[Optional(), NumberRange(min=1, max=36500)])
    max_retention_days = IntegerField(_l("Longest any space may keep posts (days)"),
                                      validators=[Optional(), NumberRange(min=1, max=36500)])
    export_threads = BooleanField(_l(
        "Members' data downloads include the other posts of threads they took part in"))
    signup = SelectField(_l("Who can create an account"), choices=[
        SelectChoice("open", _l("Anyone (open sign-up)")),
        SelectChoice("invite", _l("Only people with an invitation link"))])

    def settings(self) -> dict[str, object]:
        return {"default_anonymity": self.default_anonymity.data,
                "facilitators_see_identity": bool(self.facilitators_see_identity.data),
                "default_retention_days": self.default_retention_days.data,
                "max_retention_days": self.max_retention_days.data,
                "export_threads": bool(self.export_threads.data), "signup": self.signup.data}
