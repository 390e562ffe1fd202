"""JSON API for threads, posts, search, the event stream and notifications."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import request
from flask_login import current_user, login_required

from community.api.common import (
    CursorArgs,
    ErrorSchema,
    api_blueprint,
    bad_cursor,
    decode_cursor,
    encode_cursor,
)
from community.extensions import db
from community.forums import actions, notifications, queries, search
from community.forums.access import (
    access_post_by_id,
    access_space_content,
    access_thread_by_id,
    require_moderator,
)
from community.forums.models import ThreadKind
from community.forums.ratelimit import posting_limit
from community.forums.schemas import (
    EventArgs,
    EventListSchema,
    NotificationListSchema,
    PostCreateSchema,
    PostEnvelopeSchema,
    PostListArgs,
    PostListSchema,
    PostRemoveArgs,
    PostSchema,
    PostUpdateSchema,
    ReadSchema,
    RevisionListSchema,
    SearchArgs,
    SearchResultSchema,
    ThreadCreatedSchema,
    ThreadCreateSchema,
    ThreadListSchema,
    ThreadSchema,
    ThreadUpdateSchema,
)
from community.realtime.retention import require_within_window

blp = api_blueprint("api_forums", __name__, "Threads, posts, search and the event stream.")

_ERRORS = (HTTPStatus.NOT_FOUND, HTTPStatus.PRECONDITION_REQUIRED)


def _errors(*statuses: HTTPStatus):  # type: ignore[no-untyped-def]
    """Document the error answers an operation can give."""
    def wrap(func):  # type: ignore[no-untyped-def]
        for status in (*_ERRORS, *statuses):
            func = blp.alt_response(status, schema=ErrorSchema)(func)
        return func
    return wrap


def _idempotency_key() -> str | None:
    return request.headers.get("Idempotency-Key") or None


def _cursor_ints(cursor: str | None, length: int) -> list[int] | None:
    value = decode_cursor(cursor)
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != length
            or not all(isinstance(v, int) for v in value)):
        raise bad_cursor()
    return value


@blp.route("/spaces/<int:space_id>/threads", methods=["GET"])
@login_required
@blp.arguments(CursorArgs, location="query")
@blp.response(HTTPStatus.OK, ThreadListSchema)
@_errors()
def list_threads(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Threads of the space: pinned first, then by latest activity, with unread markers."""
    reader = access_space_content(current_user, space_id)
    rows, next_cursor = queries.list_threads(reader, cursor=_cursor_ints(args["cursor"], 3),
                                             limit=args["limit"])
    return {"items": [queries.thread_view(t, last_read_post_id=r or 0) for t, r in rows],
            "next_cursor": encode_cursor(next_cursor) if next_cursor else None}


@blp.route("/spaces/<int:space_id>/threads", methods=["POST"])
@login_required
@posting_limit()
@blp.arguments(ThreadCreateSchema)
@blp.response(HTTPStatus.CREATED, ThreadCreatedSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT,
         HTTPStatus.TOO_MANY_REQUESTS)
def create_thread(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Start a thread with its first post. Takes an optional Idempotency-Key header."""
    prepared = actions.prepare_body(body["body"])
    reader = access_space_content(current_user, space_id)
    thread, post = actions.check_create_thread(
        reader.space, reader.membership, title=body["title"], body=prepared,
        kind=ThreadKind(body["kind"]), replies_allowed=body["replies_allowed"],
        idempotency_key=_idempotency_key())
    db.session.commit()
    return {"thread": queries.thread_view(thread), "post": queries.post_view(post, reader)}


@blp.route("/threads/<int:thread_id>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ThreadSchema)
@_errors()
def get_thread(thread_id: int):  # type: ignore[no-untyped-def]
    """One thread."""
    thread, reader = access_thread_by_id(current_user, thread_id)
    return queries.thread_view(
        thread, last_read_post_id=queries.get_last_read(reader.membership.id, thread.id))


@blp.route("/threads/<int:thread_id>", methods=["PATCH"])
@login_required
@blp.arguments(ThreadUpdateSchema)
@blp.response(HTTPStatus.OK, ThreadSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def update_thread(body: dict[str, Any], thread_id: int):  # type: ignore[no-untyped-def]
    """Pin, lock, rename, or open/close replies to an announcement (facilitators)."""
    thread, reader = access_thread_by_id(current_user, thread_id)
    actions.check_update_thread(thread, reader.membership, **body)
    db.session.commit()
    return queries.thread_view(thread)


@blp.route("/threads/<int:thread_id>/posts", methods=["GET"])
@login_required
@blp.arguments(PostListArgs, location="query")
@blp.response(HTTPStatus.OK, PostListSchema)
@_errors()
def list_posts(args: dict[str, Any], thread_id: int):  # type: ignore[no-untyped-def]
    """Posts in order, a page at a time; `last=true` starts at the end."""
    thread, reader = access_thread_by_id(current_user, thread_id)
    cursor = decode_cursor(args["cursor"])
    after = before = None
    if cursor is not None:
        if not (isinstance(cursor, dict) and len(cursor) == 1
                and next(iter(cursor)) in ("after", "before")
                and isinstance(next(iter(cursor.values())), int)):
            raise bad_cursor()
        after, before = cursor.get("after"), cursor.get("before")
    page = queries.list_posts(reader, thread, after=after, before=before,
                              last=args["last"] and cursor is None, limit=args["limit"])
    return {"items": [queries.post_view(p, reader) for p in page.items],
            "next_cursor": encode_cursor({"after": page.after}) if page.after else None,
            "prev_cursor": encode_cursor({"before": page.before}) if page.before else None}


@blp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@login_required
@posting_limit()
@blp.arguments(PostCreateSchema)
@blp.response(HTTPStatus.CREATED, PostEnvelopeSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT,
         HTTPStatus.TOO_MANY_REQUESTS)
def create_post(body: dict[str, Any], thread_id: int):  # type: ignore[no-untyped-def]
    """Reply; `post.state` is published or pending. Takes an optional Idempotency-Key."""
    prepared = actions.prepare_body(body["body"])
    thread, reader = access_thread_by_id(current_user, thread_id)
    post = actions.check_create_post(thread, reader.membership, body=prepared,
                                     quote_of_id=body["quote_of_id"],
                                     idempotency_key=_idempotency_key())
    # Shaped before the commit, from what is loaded: after it every object would be
    # expired and read back again (a good share of a post's cost).
    answer = {"post": queries.post_view(post, reader)}
    db.session.commit()
    return answer


@blp.route("/threads/<int:thread_id>/read", methods=["POST"])
@login_required
@blp.arguments(ReadSchema)
@blp.response(HTTPStatus.NO_CONTENT)
@_errors()
def mark_read(body: dict[str, Any], thread_id: int):  # type: ignore[no-untyped-def]
    """Move the caller's read position in the thread forward to `post_id`."""
    thread, reader = access_thread_by_id(current_user, thread_id)
    actions.do_mark_read(reader.membership.id, thread.id,
                         min(body["post_id"], thread.last_post_id))
    db.session.commit()


@blp.route("/posts/<int:post_id>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, PostSchema)
@_errors()
def get_post(post_id: int):  # type: ignore[no-untyped-def]
    """One post, as the caller may see it."""
    post, reader = access_post_by_id(current_user, post_id)
    return queries.post_view(post, reader)


@blp.route("/posts/<int:post_id>", methods=["PATCH"])
@login_required
@blp.arguments(PostUpdateSchema)
@blp.response(HTTPStatus.OK, PostEnvelopeSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT)
def edit_post(body: dict[str, Any], post_id: int):  # type: ignore[no-untyped-def]
    """Edit (author, or a facilitator giving a reason); the earlier text becomes a revision."""
    prepared = actions.prepare_body(body["body"])
    post, reader = access_post_by_id(current_user, post_id)
    actions.check_edit_post(post, reader.membership, body=prepared, reason=body["reason"])
    db.session.commit()
    return {"post": queries.post_view(post, reader)}


@blp.route("/posts/<int:post_id>", methods=["DELETE"])
@login_required
@blp.arguments(PostRemoveArgs, location="query")
@blp.response(HTTPStatus.OK, PostEnvelopeSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def remove_post(args: dict[str, Any], post_id: int):  # type: ignore[no-untyped-def]
    """Remove (author or facilitator), leaving a tombstone."""
    post, reader = access_post_by_id(current_user, post_id)
    actions.check_remove_post(post, reader.membership, reason=args["reason"])
    db.session.commit()
    return {"post": queries.post_view(post, reader)}


@blp.route("/posts/<int:post_id>/revisions", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, RevisionListSchema)
@_errors(HTTPStatus.FORBIDDEN)
def list_revisions(post_id: int):  # type: ignore[no-untyped-def]
    """Every earlier version of the post, with who replaced it and why (facilitators)."""
    post, reader = access_post_by_id(current_user, post_id)
    require_moderator(reader)
    return {"items": queries.list_revisions(post), "next_cursor": None}


@blp.route("/spaces/<int:space_id>/search", methods=["GET"])
@login_required
@blp.arguments(SearchArgs, location="query")
@blp.response(HTTPStatus.OK, SearchResultSchema)
@_errors()
def search_space(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Published posts of the space containing every word of `q`, newest first."""
    reader = access_space_content(current_user, space_id)
    before = _cursor_ints(args["cursor"], 1)
    posts, more = search.search_posts(reader, args["q"], before=before[0] if before else None,
                                      limit=args["limit"])
    return {"items": [{"post": queries.post_view(p, reader),
                       "thread": {"id": p.thread.id, "title": p.thread.title}} for p in posts],
            "next_cursor": encode_cursor([more]) if more else None}


@blp.route("/spaces/<int:space_id>/events", methods=["GET"])
@login_required
@blp.arguments(EventArgs, location="query")
@blp.response(HTTPStatus.OK, EventListSchema)
@_errors(HTTPStatus.GONE)
def list_events(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """The stored live events after `after` that the caller may see, in order; 410
    `gap_too_large` when some after `after` were pruned (the client reloads)."""
    reader = access_space_content(current_user, space_id)
    require_within_window(space_id, args["after"])
    events = queries.list_events(reader, after=args["after"], limit=args["limit"] + 1)
    more = len(events) > args["limit"]
    events = events[:args["limit"]]
    return {"items": events, "more": more,
            "last_event_id": events[-1].id if events else args["after"]}


@blp.route("/notifications", methods=["GET"])
@login_required
@blp.arguments(CursorArgs, location="query")
@blp.response(HTTPStatus.OK, NotificationListSchema)
def list_notifications(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The caller's mentions, newest first."""
    before = _cursor_ints(args["cursor"], 1)
    rows = notifications.list_notifications(current_user, before=before[0] if before else None,
                                            limit=args["limit"])
    items = [{"id": n.id, "kind": n.kind, "space_id": n.space_id, "post_id": n.post_id,
              "thread_id": n.post.thread_id, "thread_title": n.post.thread.title,
              "author": queries.author_view(n.post.author), "created_at": n.created_at,
              "read_at": n.read_at} for n in rows]
    return {"items": items, "unread": notifications.count_unread(current_user),
            "next_cursor": encode_cursor([rows[-1].id]) if len(rows) == args["limit"] else None}
