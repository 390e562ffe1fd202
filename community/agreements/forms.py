"""Forms for publishing and accepting agreements."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired

from community.agreements.actions import BODY_MAX, TITLE_MAX
from community.forms import Form


class PublishForm(Form):
    # Lengths are checked by the action, which names the field; these only set the widgets.
    title = StringField(_l("Title"), validators=[DataRequired()],
                        render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Agreement text (Markdown)"), validators=[DataRequired()],
                         render_kw={"maxlength": BODY_MAX, "rows": 16})


class AcceptForm(Form):
    """The "I agree" button; the version says which text the person actually read."""

    version = HiddenField(validators=[DataRequired()])
