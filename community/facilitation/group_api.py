"""JSON API of the facilitator group tools: conversations, whispers, member notes,
slow mode, timers, archiving and participation."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from community.api.common import (
    ErrorSchema,
    api_blueprint,
    bad_cursor,
    decode_cursor,
    encode_cursor,
)
from community.extensions import db
from community.facilitation import archive, conversations, notes, participation, rhythm
from community.forums.access import access_space_content, access_thread_by_id, require_moderator
from community.forums.models import Thread
from community.forums.queries import jsonable, post_view
from community.policy import Permission
from community.spaces.access import access_space_by_id

blp = api_blueprint("api_facilitation_group", __name__,
                    "Conversations, whispers, member notes, group rhythm, archive, participation.")


class BodySchema(Schema):
    body = fields.String(required=True)


class ListArgs(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ItemsSchema(Schema):
    items = fields.List(fields.Dict(), required=True)
    next_cursor = fields.String(allow_none=True)


class ObjectSchema(Schema):
    """A single object under one key, e.g. {"message": {...}}."""

    class Meta:
        unknown = "include"

    conversation = fields.Dict()
    message = fields.Dict()
    note = fields.Dict()
    post = fields.Dict()
    timer = fields.Dict()
    archive = fields.Dict()
    slow_mode = fields.Dict()


class SlowModeSchema(Schema):
    minutes = fields.Integer(required=True, allow_none=True,
                             validate=validate.Range(min=0, max=rhythm.MAX_SLOW_MINUTES))


class TimerSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(["open", "close", "announce"]))
    run_at = fields.AwareDateTime(required=True, default_timezone=None)
    thread_id = fields.Integer(load_default=None)
    title = fields.String(load_default="")
    body = fields.String(load_default="")


class ArchiveSchema(Schema):
    read_days = fields.Integer(required=True, strict=True,
                               validate=validate.Range(min=0, max=archive.MAX_READ_DAYS))


class ParticipationArgs(Schema):
    quiet_days = fields.Integer(load_default=participation.DEFAULT_QUIET_DAYS,
                                validate=validate.Range(min=1, max=365))
    weeks = fields.Integer(load_default=participation.DEFAULT_WEEKS,
                           validate=validate.Range(min=1, max=104))


class ParticipationSchema(Schema):
    members = fields.List(fields.Dict(), required=True)
    weeks = fields.List(fields.Dict(), required=True)


def _errors(*statuses: HTTPStatus):  # type: ignore[no-untyped-def]
    def wrap(func):  # type: ignore[no-untyped-def]
        for status in (HTTPStatus.NOT_FOUND, HTTPStatus.PRECONDITION_REQUIRED, *statuses):
            func = blp.alt_response(status, schema=ErrorSchema)(func)
        return func
    return wrap


def _after(cursor: str | None) -> int | None:
    value = decode_cursor(cursor)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise bad_cursor()
    return value


# --- conversations -------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/conversations", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ItemsSchema)
@_errors()
def list_conversations(space_id: int) -> dict[str, Any]:
    """Facilitators: the space's conversations; a member: their own."""
    reader = access_space_content(current_user, space_id)
    return {"items": [conversations.conversation_view(c)
                      for c in conversations.list_conversations(reader)], "next_cursor": None}


@blp.route("/spaces/<int:space_id>/conversations", methods=["POST"])
@login_required
@blp.arguments(BodySchema)
@blp.response(HTTPStatus.CREATED, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def start_conversation(args: dict[str, Any], space_id: int) -> dict[str, Any]:
    """A member writes to the space's facilitators (one conversation per member)."""
    reader = access_space_content(current_user, space_id)
    conversation, message = conversations.check_start_conversation(reader, body=args["body"])
    db.session.commit()
    return {"conversation": conversations.conversation_view(conversation),
            "message": conversations.message_view(message)}


@blp.route("/conversations/<int:conversation_id>/messages", methods=["GET"])
@login_required
@blp.arguments(ListArgs, location="query")
@blp.response(HTTPStatus.OK, ItemsSchema)
@_errors()
def list_messages(args: dict[str, Any], conversation_id: int) -> dict[str, Any]:
    item, _reader = conversations.access_conversation_by_id(current_user, conversation_id)
    rows = conversations.list_messages(item, after=_after(args["cursor"]),
                                       limit=args["limit"] + 1)
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    return {"items": [conversations.message_view(m) for m in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more else None}


@blp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@login_required
@blp.arguments(BodySchema)
@blp.response(HTTPStatus.CREATED, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def send_message(args: dict[str, Any], conversation_id: int) -> dict[str, Any]:
    item, reader = conversations.access_conversation_by_id(current_user, conversation_id)
    message = conversations.check_send_message(item, reader, body=args["body"])
    db.session.commit()
    return {"message": conversations.message_view(message)}


# --- whispers and notes --------------------------------------------------------------

@blp.route("/threads/<int:thread_id>/whispers", methods=["POST"])
@login_required
@blp.arguments(BodySchema)
@blp.response(HTTPStatus.CREATED, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def create_whisper(args: dict[str, Any], thread_id: int) -> dict[str, Any]:
    """A reply only the space's facilitators see (state `whisper`)."""
    thread, reader = access_thread_by_id(current_user, thread_id)
    post = notes.check_whisper(thread, reader, body=args["body"])
    db.session.commit()
    return {"post": jsonable(post_view(post, reader))}


@blp.route("/spaces/<int:space_id>/members/<int:membership_id>/notes", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ItemsSchema)
@_errors(HTTPStatus.FORBIDDEN)
def list_notes(space_id: int, membership_id: int) -> dict[str, Any]:
    reader = access_space_content(current_user, space_id)
    subject = notes.access_note_subject(reader, membership_id)
    return {"items": [notes.note_view(n) for n in notes.list_notes(reader, subject)],
            "next_cursor": None}


@blp.route("/spaces/<int:space_id>/members/<int:membership_id>/notes", methods=["POST"])
@login_required
@blp.arguments(BodySchema)
@blp.response(HTTPStatus.CREATED, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def add_note(args: dict[str, Any], space_id: int, membership_id: int) -> dict[str, Any]:
    reader = access_space_content(current_user, space_id)
    subject = notes.access_note_subject(reader, membership_id)
    note = notes.check_add_note(reader, subject, body=args["body"])
    db.session.commit()
    return {"note": notes.note_view(note)}


@blp.route("/spaces/<int:space_id>/notes/<int:note_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@_errors(HTTPStatus.FORBIDDEN)
def delete_note(space_id: int, note_id: int) -> None:
    reader = access_space_content(current_user, space_id)
    note = notes.access_note_by_id(reader, note_id)
    notes.check_delete_note(reader, note)
    db.session.commit()


# --- rhythm --------------------------------------------------------------------------

@blp.route("/threads/<int:thread_id>/slow-mode", methods=["PUT"])
@login_required
@blp.arguments(SlowModeSchema)
@blp.response(HTTPStatus.OK, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def set_slow_mode(args: dict[str, Any], thread_id: int) -> dict[str, Any]:
    """`{"minutes": N}` turns slow mode on; 0 or null turns it off. Facilitators."""
    thread, reader = access_thread_by_id(current_user, thread_id)
    minutes = rhythm.check_set_slow_mode(thread, reader, args["minutes"])
    db.session.commit()
    return {"slow_mode": {"thread_id": thread_id, "minutes": minutes}}


@blp.route("/spaces/<int:space_id>/timers", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ItemsSchema)
@_errors(HTTPStatus.FORBIDDEN)
def list_timers(space_id: int) -> dict[str, Any]:
    reader = access_space_content(current_user, space_id)
    return {"items": [rhythm.timer_view(t) for t in rhythm.list_timers(reader)],
            "next_cursor": None}


@blp.route("/spaces/<int:space_id>/timers", methods=["POST"])
@login_required
@blp.arguments(TimerSchema)
@blp.response(HTTPStatus.CREATED, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def add_timer(args: dict[str, Any], space_id: int) -> dict[str, Any]:
    """Open / close a thread or publish an announcement at `run_at` (with a timezone)."""
    reader = access_space_content(current_user, space_id)
    require_moderator(reader)
    thread = db.session.get(Thread, args["thread_id"]) if args["thread_id"] else None
    timer = rhythm.check_add_timer(reader, action=args["action"], run_at=args["run_at"],
                                   thread=thread, title=args["title"], body=args["body"])
    db.session.commit()
    return {"timer": rhythm.timer_view(timer)}


@blp.route("/spaces/<int:space_id>/timers/<int:timer_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT)
def cancel_timer(space_id: int, timer_id: int) -> None:
    reader = access_space_content(current_user, space_id)
    timer = rhythm.access_timer_by_id(reader, timer_id)
    rhythm.check_cancel_timer(reader, timer)
    db.session.commit()


# --- archive and participation -------------------------------------------------------

@blp.route("/spaces/<int:space_id>/archive", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN)
def get_archive(space_id: int) -> dict[str, Any]:
    space, _own = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    return {"archive": archive.archive_view(space)}


@blp.route("/spaces/<int:space_id>/archive", methods=["POST"])
@login_required
@blp.arguments(ArchiveSchema)
@blp.response(HTTPStatus.OK, ObjectSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY)
def archive_space(args: dict[str, Any], space_id: int) -> dict[str, Any]:
    """End of a cohort: no new posts; members read for `read_days` more days."""
    space, _own = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    archive.check_archive_space(space, actor_id=current_user.id, read_days=args["read_days"])
    db.session.commit()
    space, _own = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    return {"archive": archive.archive_view(space)}


@blp.route("/spaces/<int:space_id>/participation", methods=["GET"])
@login_required
@blp.arguments(ParticipationArgs, location="query")
@blp.response(HTTPStatus.OK, ParticipationSchema)
@_errors(HTTPStatus.FORBIDDEN)
def get_participation(args: dict[str, Any], space_id: int) -> dict[str, Any]:
    reader = access_space_content(current_user, space_id)
    rows = participation.member_rows(reader, quiet_days=args["quiet_days"])
    weeks = participation.weekly_activity(reader, weeks=args["weeks"])
    return {"members": [r.view() for r in rows],
            "weeks": [{"week_of": w.isoformat(), "posts": n} for w, n in weeks]}
