"""Forms for the admin pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
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


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Why is the account suspended?"),
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 3, "maxlength": REASON_MAX})


class AdminRoleForm(FlaskForm):
    is_admin = HiddenField(validators=[DataRequired()])  # "1" to give, "0" to take


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("E-mail or name contains"), validators=[Optional(), Length(max=254)])


def _action_choices() -> list[SelectChoice]:
    return [SelectChoice("", str(_l("Any action"))),
            *(SelectChoice(a.value, a.value) for a in AuditAction)]


class AuditFilterForm(FlaskForm):
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
