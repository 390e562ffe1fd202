"""The browser side of live updates: socket.io-client served from node_modules, and what
the space and thread pages hand to static/js/live.js.

socket.io-client comes from npm (package.json; `npm ci` is part of the set-up) and is
served from the node_modules folder named by COMMUNITY_NODE_MODULES, by default the one
next to this package in the checkout. An installed (non-editable) package has no such
folder beside it: point COMMUNITY_NODE_MODULES at the checkout's node_modules. Without
the bundle the pages render as before, without live updates, and a warning is logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, g, json, request, send_file
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _

from community.errors import NotFound
from community.extensions import db
from community.forums.models import Thread
from community.realtime.models import Event

PACKAGE = Path(__file__).resolve().parent

# URL name -> path inside node_modules. Only these files are served.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
}
BUNDLE = "socket.io.min.js"

bp = Blueprint("live", __name__)


def vendor_path(name: str, app: Flask | None = None) -> Path | None:
    """Where a served vendor file lives on disk, or None if it is not one we serve."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        return None
    return Path((app or current_app).config["NODE_MODULES"]) / relative


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    app = state.app
    app.config.setdefault("NODE_MODULES", str(PACKAGE.parent / "node_modules"))
    bundle = vendor_path(BUNDLE, app)
    app.config["LIVE_UPDATES"] = bool(bundle and bundle.is_file())
    if not app.config["LIVE_UPDATES"]:
        app.logger.warning("Live updates are off: %s is missing. Run `npm ci` in the "
                           "checkout or set COMMUNITY_NODE_MODULES.", bundle)


@bp.route("/static/vendor/<name>")
def vendor(name: str) -> ResponseReturnValue:
    """A browser library from node_modules (public, like every static file)."""
    path = vendor_path(name)
    if path is None or not path.is_file():
        raise NotFound()
    return send_file(path, max_age=3600, conditional=True)


# Pages that show live content, and how to find their space from the URL.
_LIVE_PAGES = {"forums.thread", "spaces.show"}


@bp.before_app_request
def _remember_last_event_id() -> None:
    """Read the space's newest event id before the page reads its content.

    The page subscribes from this id, so the server replays everything that committed
    after it. Read later (while rendering), an event committed between the content
    query and the render would be neither on the page nor replayed. Read first, the
    worst case is an event for something already shown, which live.js ignores.
    """
    if request.endpoint not in _LIVE_PAGES or not current_app.config["LIVE_UPDATES"]:
        return
    args = request.view_args or {}
    if "thread_id" in args:
        space_id: Any = sa.select(Thread.space_id).where(
            Thread.id == args["thread_id"]).scalar_subquery()
    elif "space_id" in args:
        space_id = args["space_id"]
    else:
        return
    g.live_last_event_id = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Event.id), 0)).where(Event.space_id == space_id))


@bp.app_template_global("live_last_event_id")
def live_last_event_id() -> int | None:
    """The id read before this page's content, or None when live updates are off."""
    return g.get("live_last_event_id")


@bp.app_template_global("live_strings")
def live_strings() -> str:
    """The words live.js shows, translated here (JSON for a data-* attribute).

    Placeholders in braces are filled in by live.js. Plurals come as the "one" and
    "other" forms, which is all our languages need.
    """
    return json.dumps({
        "new_posts_one": ngettext("%(count)s new post", "%(count)s new posts", 1, count="{n}"),
        "new_posts_other": ngettext("%(count)s new post", "%(count)s new posts", 2, count="{n}"),
        "typing_one": _("%(name)s is typing…", name="{name}"),
        "typing_many": _("Several people are typing…"),
        "here": _("Here now: %(names)s", names="{names}"),
        "reconnecting": _("Live updates paused; reconnecting…"),
        "stopped": _("Live updates stopped."),
        "reload": _("Reload the page"),
        "revoked": _("You no longer receive new activity from this space."),
        "revoked_agreement": _("Please accept the space's current agreement to read on."),
        "agreement_link": _("Read the agreement"),
        "space_link": _("Go to the space"),
        "new_thread": _("New thread: %(title)s", title="{title}"),
        "new_reply": _("New reply in %(title)s", title="{title}"),
        "new_activity": _("New activity in this space."),
        "new": _("new"),
        "facilitator": _("facilitator"),
        "edited": _("edited"),
        "pending": _("Waiting for review"),
        "quote": _("Quote"),
        "removed_by_facilitator": _("Removed by a facilitator."),
        "removed_by_author": _("Removed by the author."),
        "timezone": str(get_timezone() or "UTC"),
    })
