"""Admin pages. (Skeleton: filled in by the admin work.)"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template("error.html", status=200, message="")
