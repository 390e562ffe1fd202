"""Forms for starting threads, replying, editing, removing and thread settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from community.forms import Form

# Lengths are enforced by the actions after normalizing; these caps stop absurd input.
_BODY = [DataRequired(), Length(max=100_000)]


class ThreadForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=1000)])
    body = TextAreaField(_l("Message"), validators=_BODY)
    kind = SelectField(_l("Kind"), choices=[SelectChoice("discussion", _l("Discussion")),
                                            SelectChoice("announcement", _l("Announcement"))],
                       default="discussion")
    replies_allowed = BooleanField(_l("Members may reply to this announcement"), default=True)


class ReplyForm(Form):
    body = TextAreaField(_l("Your reply"), validators=_BODY)
    quote_of_id = HiddenField(validators=[Optional()])


class EditPostForm(Form):
    body = TextAreaField(_l("Message"), validators=_BODY)
    reason = StringField(_l("Why are you changing it?"), validators=[Length(max=2000)])


class RemovePostForm(Form):
    reason = StringField(_l("Reason (kept in the post's history)"),
                         validators=[Length(max=2000)])


class ThreadSettingsForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=1000)])
    pinned = BooleanField(_l("Pinned to the top of the list"))
    locked = BooleanField(_l("Locked: members can no longer reply"))
    replies_allowed = BooleanField(_l("Members may reply (announcements)"))
