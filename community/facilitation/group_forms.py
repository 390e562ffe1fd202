"""Forms of the facilitator group pages: conversations, notes, rhythm, archive."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from community.forms import Form, choices


class MessageForm(Form):
    body = TextAreaField(_l("Message"), validators=[InputRequired()])


class NoteForm(Form):
    body = TextAreaField(_l("Note (only facilitators see it)"), validators=[InputRequired()])


class WhisperForm(Form):
    body = TextAreaField(_l("Whisper to the facilitators"), validators=[InputRequired()])


class SlowModeForm(Form):
    minutes = IntegerField(_l("Slow mode: minutes between a member's posts (0: off)"),
                           validators=[InputRequired(), NumberRange(min=0, max=7 * 24 * 60)])


TIMER_ACTIONS = choices([
    ("close", _l("Close the thread")), ("open", _l("Open the thread")),
    ("announce", _l("Publish an announcement"))])


class TimerForm(Form):
    action = SelectField(_l("What happens"), choices=TIMER_ACTIONS)
    run_at = DateTimeLocalField(_l("When (UTC)"), format="%Y-%m-%dT%H:%M",
                                validators=[InputRequired()])
    thread_id = IntegerField(_l("Thread number (open / close)"), validators=[Optional()])
    title = StringField(_l("Announcement title"), validators=[Optional()])
    body = TextAreaField(_l("Announcement text"), validators=[Optional()])


class ArchiveForm(Form):
    read_days = IntegerField(_l("Days members can still read"),
                             validators=[InputRequired(), NumberRange(min=0, max=3650)])
