"""Agreement pages. (Skeleton: filled in by the agreements work.)"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


@bp.route("/site")
def site():  # type: ignore[no-untyped-def]
    return render_template("error.html", status=200, message="")


@bp.route("/spaces/<int:space_id>")
def space(space_id: int):  # type: ignore[no-untyped-def]
    return render_template("error.html", status=200, message="")
