"""The browser side of live updates: socket.io-client served from node_modules, and what
the space and thread pages hand to static/js/live.js.

socket.io-client comes from npm (package.json; `npm ci` is part of the set-up) and is
served from the node_modules folder named by COMMUNITY_NODE_MODULES, by default the one
next to this package in the checkout. An installed (non-editable) package has no such
folder beside it: point COMMUNITY_NODE_MODULES at the checkout's node_modules. Without
the bundle the pages render as before, without live updates, and a warning is logged.
"""

from __future__ import annotations

import functools
import io
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
from community.realtime.models import Event, EventHorizon

PACKAGE = Path(__file__).resolve().parent

# URL name -> path inside node_modules and its type. Only these files are served.
VENDOR_FILES = {
    "socket.io.min.js": ("socket.io-client/dist/socket.io.min.js", "text/javascript"),
    "socket.io.min.js.map": ("socket.io-client/dist/socket.io.min.js.map", "application/json"),
}
BUNDLE = "socket.io.min.js"

bp = Blueprint("live", __name__)


def vendor_path(name: str, app: Flask | None = None) -> Path | None:
    """Where a served vendor file lives on disk, or None if it is not one we serve."""
    if name not in VENDOR_FILES:
        return None
    return Path((app or current_app).config["NODE_MODULES"]) / VENDOR_FILES[name][0]


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
    stat = path.stat()
    content = _read(str(path), stat.st_mtime_ns, stat.st_size)
    return send_file(io.BytesIO(content), mimetype=VENDOR_FILES[name][1], max_age=3600,
                     conditional=True, etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
                     last_modified=stat.st_mtime)


@functools.lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int, size: int) -> bytes:
    """Read once per version of the file (keyed by its mtime and size); no file handle
    stays open with the response."""
    return Path(path).read_bytes()


# Pages that show live content, and how to find their space from the URL.
_LIVE_PAGES = {"forums.thread", "spaces.show"}


@bp.before_app_request
def _remember_last_event_id() -> None:
    """Read the space's newest event id before the page reads its content.

    The page subscribes from this id, so the server replays everything that committed
    after it. Read later (while rendering), an event committed between the content
    query and the render would be neither on the page nor replayed. Read first, the
    worst case is an event for something already shown, which live.js ignores.
    A space whose events were all pruned starts from the pruned horizon, which the
    server accepts, rather than from 0, which it would answer with gap_too_large.
    """
    if request.endpoint not in _LIVE_PAGES or not current_app.config["LIVE_UPDATES"]:
        return
    args = request.view_args or {}
    of = "thread_id" if "thread_id" in args else "space_id" if "space_id" in args else None
    if of is None:
        return
    row = db.session.execute(_last_event_id(of), {"of": args[of]}).one()
    g.live_last_event_id = max(row[0] or 0, row[1] or 0)


@functools.cache
def _last_event_id(of: str) -> sa.Select[Any]:
    """The space's newest event id and pruned horizon, the space named by the page's
    `thread_id` or `space_id` (bind parameter `of`). Built once per kind of page."""
    space_id: Any = sa.bindparam("of", type_=sa.Integer)
    if of == "thread_id":
        space_id = sa.select(Thread.space_id).where(Thread.id == space_id).scalar_subquery()
    newest = sa.select(sa.func.max(Event.id)).where(Event.space_id == space_id)
    pruned = sa.select(EventHorizon.pruned_through).where(EventHorizon.space_id == space_id)
    return sa.select(newest.scalar_subquery(), pruned.scalar_subquery())


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
        "here_more": _("Here now: %(names)s and %(n)s more", names="{names}", n="{n}"),
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
        "rejected": _("Not published"),
        "quote": _("Quote"),
        "flag": _("Flag"),
        "removed_by_facilitator": _("Removed by a facilitator."),
        "removed_by_author": _("Removed by the author."),
        "removed_by_retention": _("Removed at the end of the retention period."),
        "timezone": str(get_timezone() or "UTC"),
    })
