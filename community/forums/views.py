"""Forum pages: a space's threads, a thread with its posts, editing, history, search,
a member's posts and the caller's notifications."""

from __future__ import annotations

import functools
from datetime import datetime
from http import HTTPStatus
from typing import Any

from babel import dates as babel_dates
from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community import text
from community.api.common import decode_cursor, encode_cursor
from community.errors import AppError, Conflict, Invalid, NotFound
from community.extensions import db
from community.forms import apply_error
from community.forums import access, actions, notifications, queries, search
from community.forums.access import (
    Reader,
    access_post_by_id,
    access_space_content,
    access_thread_by_id,
    require_moderator,
)
from community.forums.forms import (
    EditPostForm,
    RemovePostForm,
    ReplyForm,
    ThreadForm,
    ThreadSettingsForm,
)
from community.forums.models import PostState, Thread, ThreadKind
from community.forums.ratelimit import posting_limit
from community.spaces.models import Membership, Space
from community.templating import code_label

bp = Blueprint("forums", __name__)


def _thread_cursor() -> list[int] | None:
    try:
        value = decode_cursor(request.args.get("cursor"))
    except AppError:
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value):
        return value
    return None


@bp.app_template_global("forum_threads")
def forum_threads(space: Space, membership: Membership | None,
                  limit: int = 20) -> dict[str, Any]:
    """For templates/forums/_space_threads.html, included by the space page (which has
    already passed the agreement gate for this member)."""
    if membership is None or not membership.is_active or membership.space_id != space.id:
        return {"rows": [], "next_cursor": None, "reader": None}
    reader = Reader(space, membership)
    rows, next_cursor = queries.list_threads(reader, limit=limit)
    return {"rows": thread_rows(rows), "reader": reader,
            "next_cursor": encode_cursor(next_cursor) if next_cursor else None}


def thread_rows(rows: list[tuple[Thread, int | None]]) -> list[dict[str, Any]]:
    """Threads as a list shows them (forums/_macros.html `thread_list`): the labels,
    counts, links and times worked out here, each distinct one once."""
    base = url_for("forums.thread", thread_id=0)[:-1]
    counts: dict[int, str] = {}
    kinds: dict[ThreadKind, str] = {}
    shown = []
    for thread, last_read in rows:
        if thread.post_count not in counts:
            counts[thread.post_count] = ngettext("%(num)d post", "%(num)d posts",
                                                 thread.post_count)
        if thread.kind != ThreadKind.DISCUSSION and thread.kind not in kinds:
            kinds[thread.kind] = code_label(thread.kind, "thread_kind")
        shown.append({
            "url": f"{base}{thread.id}", "title": thread.title, "pinned": thread.pinned,
            "locked": thread.locked, "kind_label": kinds.get(thread.kind),
            "pending": thread.state != PostState.PUBLISHED,
            "new": queries.is_unread(thread, last_read),
            "count_label": counts[thread.post_count],
            "shown_time": post_time(thread.last_post_at)})
    return shown


@bp.app_template_filter("post_time")
def post_time(value: datetime | None) -> str:
    """Like the `when` filter, with the locale and zone looked up once per request and
    each timestamp formatted once per process (and locale and zone): a thread page shows
    fifty of them, and the same posts are shown again and again."""
    if value is None:
        return ""
    if "forum_time_context" not in g:
        g.forum_time_context = (get_locale(), get_timezone())
    locale, zone = g.forum_time_context
    return _format_time(value, locale, zone)


@functools.lru_cache(maxsize=20_000)
def _format_time(value: datetime, locale: Any, zone: Any) -> str:
    return babel_dates.format_datetime(value, "medium", tzinfo=zone, locale=locale)


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    return notifications.count_unread(current_user) if current_user.is_authenticated else 0


@bp.route("/spaces/<int:space_id>/threads")
@login_required
def space_threads(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    rows, next_cursor = queries.list_threads(reader, cursor=_thread_cursor())
    return render_template("forums/threads.html", space=reader.space, reader=reader,
                           rows=thread_rows(rows),
                           next_cursor=encode_cursor(next_cursor) if next_cursor else None,
                           is_unread=queries.is_unread)


@bp.route("/spaces/<int:space_id>/threads/new", methods=["GET", "POST"])
@login_required
@posting_limit()
def new_thread(space_id: int):  # type: ignore[no-untyped-def]
    form = ThreadForm()
    if form.validate_on_submit():
        try:
            body = actions.prepare_body(form.body.data)
            reader = access_space_content(current_user, space_id)
            thread, _post = actions.check_create_thread(
                reader.space, reader.membership, title=form.title.data, body=body,
                kind=ThreadKind(form.kind.data) if form.kind.data in ("discussion",
                                                                      "announcement")
                else ThreadKind.DISCUSSION,
                replies_allowed=form.replies_allowed.data)
            db.session.commit()
            return redirect(url_for("forums.thread", thread_id=thread.id))
        except (Invalid, Conflict) as error:
            db.session.rollback()
            apply_error(form, error)
    reader = access_space_content(current_user, space_id)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.errors or form.form_errors else HTTPStatus.OK
    return render_template("forums/new_thread.html", space=reader.space, reader=reader,
                           form=form), status


def _thread_page(thread: Thread, reader: Reader, form: ReplyForm,
                 status: int = HTTPStatus.OK):  # type: ignore[no-untyped-def]
    args = request.args
    after, before = args.get("after", type=int), args.get("before", type=int)
    page = queries.list_posts(reader, thread, after=after, before=before,
                              last="last" in args and after is None and before is None)
    last_read = queries.get_last_read(reader.membership.id, thread.id)
    settings = None
    if reader.is_facilitator:
        settings = ThreadSettingsForm(formdata=None, obj=thread)
    html = render_template(
        "forums/thread.html", thread=thread, space=reader.space, reader=reader, page=page,
        posts=_post_rows(page, reader, last_read), form=form,
        settings=settings, last_read=last_read,
        can_reply=_can_reply(reader, thread))
    newest = max((p.id for p in page.items), default=0)
    membership_id = reader.membership.id
    # Remember how far the member has read in a transaction of its own, begun by the
    # write itself, so that the page's reads never hold SQLite's write lock.
    db.session.commit()
    if newest > last_read:
        actions.do_mark_read(membership_id, thread.id, newest)
        db.session.commit()
    return html, status


def _post_rows(page: queries.Page, reader: Reader, last_read: int) -> list[dict[str, Any]]:
    """The posts as the thread page shows them, with what the template would otherwise
    work out per post: the shown time, and where "new since your last visit" begins."""
    rows = [queries.post_view(p, reader) for p in page.items]
    previous = None
    for index, row in enumerate(rows):
        row["iso_time"] = row["created_at"].isoformat()
        row["shown_time"] = post_time(row["created_at"])
        row["new_marker"] = bool(last_read and row["id"] > last_read and (
            page.before if index == 0 else previous is not None and previous <= last_read))
        previous = row["id"]
    return rows


def _can_reply(reader: Reader, thread: Thread) -> bool:
    try:
        access.require_can_reply(reader, thread)
    except AppError:
        return False
    return True


@bp.route("/threads/<int:thread_id>")
@login_required
def thread(thread_id: int):  # type: ignore[no-untyped-def]
    thread, reader = access_thread_by_id(current_user, thread_id)
    form = ReplyForm(formdata=None)
    quote_id = request.args.get("quote", type=int)
    if quote_id:
        quoted, _reader = access_post_by_id(current_user, quote_id)
        if quoted.thread_id == thread.id:
            name = queries.author_view(quoted.author)["name"]
            lines = text.plain_text(quoted.body_html).strip().splitlines()
            form.body.data = _("%(name)s wrote:", name=name) + "\n\n" + "\n".join(
                f"> {line}" for line in lines) + "\n\n"
            form.quote_of_id.data = str(quoted.id)
    return _thread_page(thread, reader, form)


@bp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@login_required
@posting_limit()
def reply(thread_id: int):  # type: ignore[no-untyped-def]
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            body = actions.prepare_body(form.body.data)
            thread, reader = access_thread_by_id(current_user, thread_id)
            quote = form.quote_of_id.data
            post = actions.check_create_post(
                thread, reader.membership, body=body,
                quote_of_id=int(quote) if quote and quote.isdigit() else None)
            db.session.commit()
            return redirect(url_for("forums.post", post_id=post.id))
        except (Invalid, Conflict) as error:
            db.session.rollback()
            apply_error(form, error)
    thread, reader = access_thread_by_id(current_user, thread_id)
    return _thread_page(thread, reader, form, HTTPStatus.UNPROCESSABLE_ENTITY)


@bp.route("/threads/<int:thread_id>/settings", methods=["POST"])
@login_required
def thread_settings(thread_id: int):  # type: ignore[no-untyped-def]
    thread, reader = access_thread_by_id(current_user, thread_id)
    require_moderator(reader)
    form = ThreadSettingsForm()
    if form.validate_on_submit():
        try:
            actions.check_update_thread(thread, reader.membership, title=form.title.data,
                                        pinned=form.pinned.data, locked=form.locked.data,
                                        replies_allowed=form.replies_allowed.data)
            db.session.commit()
            return redirect(url_for("forums.thread", thread_id=thread_id))
        except Invalid as error:
            db.session.rollback()
            thread, reader = access_thread_by_id(current_user, thread_id)
            apply_error(form, error)
    return render_template("forums/thread_settings.html", thread=thread, space=reader.space,
                           form=form), HTTPStatus.UNPROCESSABLE_ENTITY


@bp.route("/posts/<int:post_id>")
@login_required
def post(post_id: int):  # type: ignore[no-untyped-def]
    """A post's place in its thread."""
    post, _reader = access_post_by_id(current_user, post_id)
    return redirect(url_for("forums.thread", thread_id=post.thread_id, after=post.id - 1,
                            _anchor=f"post-{post.id}"))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):  # type: ignore[no-untyped-def]
    post, reader = access_post_by_id(current_user, post_id)
    form = EditPostForm(data={"body": post.source} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            body = actions.prepare_body(form.body.data)
            actions.check_edit_post(post, reader.membership, body=body, reason=form.reason.data)
            db.session.commit()
            return redirect(url_for("forums.post", post_id=post_id))
        except (Invalid, Conflict) as error:
            db.session.rollback()
            post, reader = access_post_by_id(current_user, post_id)
            apply_error(form, error)
    access.require_can_change(reader, post)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.errors or form.form_errors else HTTPStatus.OK
    return render_template("forums/edit_post.html", post=post, space=reader.space,
                           reader=reader, form=form,
                           by_other=post.author_id != reader.membership.id), status


@bp.route("/posts/<int:post_id>/remove", methods=["GET", "POST"])
@login_required
def remove_post(post_id: int):  # type: ignore[no-untyped-def]
    post, reader = access_post_by_id(current_user, post_id)
    form = RemovePostForm()
    if form.validate_on_submit():
        try:
            actions.check_remove_post(post, reader.membership, reason=form.reason.data)
            db.session.commit()
            return redirect(url_for("forums.post", post_id=post_id))
        except Invalid as error:
            db.session.rollback()
            post, reader = access_post_by_id(current_user, post_id)
            apply_error(form, error)
    access.require_can_change(reader, post)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.errors or form.form_errors else HTTPStatus.OK
    return render_template("forums/remove_post.html", post=queries.post_view(post, reader),
                           space=reader.space, form=form), status


@bp.route("/posts/<int:post_id>/history")
@login_required
def post_history(post_id: int):  # type: ignore[no-untyped-def]
    post, reader = access_post_by_id(current_user, post_id)
    require_moderator(reader)
    return render_template("forums/history.html", post=queries.post_view(post, reader),
                           thread=post.thread, space=reader.space,
                           revisions=queries.list_revisions(post))


@bp.route("/spaces/<int:space_id>/search")
@login_required
def search_space(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    q = (request.args.get("q") or "")[:200]
    before = request.args.get("before", type=int)
    posts, more = search.search_posts(reader, q, before=before) if q else ([], None)
    return render_template("forums/search.html", space=reader.space, q=q, posts=posts,
                           more=more, excerpt=text.excerpt,
                           author_view=queries.author_view)


@bp.route("/spaces/<int:space_id>/members/<int:membership_id>/posts")
@login_required
def member_posts(space_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    author = queries.get_space_member(reader, membership_id)
    if author is None:
        raise NotFound()
    page = queries.list_member_posts(reader, author, before=request.args.get("before", type=int))
    return render_template("forums/member_posts.html", space=reader.space,
                           author=queries.author_view(author), page=page, excerpt=text.excerpt)


@bp.route("/notifications")
@login_required
def notifications_page():  # type: ignore[no-untyped-def]
    rows = notifications.list_notifications(current_user,
                                            before=request.args.get("before", type=int))
    return render_template("forums/notifications.html", rows=rows,
                           author_view=queries.author_view)


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):  # type: ignore[no-untyped-def]
    row = notifications.access_notification_by_id(current_user, notification_id)
    post_id = row.post_id
    notifications.do_mark_notification_read(row)
    db.session.commit()
    return redirect(url_for("forums.post", post_id=post_id))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all_notifications():  # type: ignore[no-untyped-def]
    notifications.do_mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("forums.notifications_page"))
