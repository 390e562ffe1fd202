"""Space pages. (Skeleton: filled in by the spaces work.)"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from community.spaces.queries import list_spaces_for

bp = Blueprint("spaces", __name__)


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    return render_template("spaces/index.html", spaces=list_spaces_for(current_user))
