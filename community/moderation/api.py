"""JSON API for flags, the review queue, sanctions, the moderation log, watched words and
a space's moderation settings."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_login import current_user, login_required

from community.api.common import (
    ErrorSchema,
    api_blueprint,
    bad_cursor,
    decode_cursor,
    encode_cursor,
)
from community.errors import NotFound
from community.extensions import db
from community.forums.access import access_post_by_id
from community.moderation import actions, queries
from community.moderation.access import (
    Moderator,
    access_member_to_sanction,
    access_review_item_by_id,
    access_review_space,
    access_site_queue,
    access_watched_word_by_id,
)
from community.moderation.models import ReviewItem, ReviewState
from community.moderation.schemas import (
    ApproveSchema,
    FlagCreateSchema,
    FlagEnvelopeSchema,
    LogArgs,
    LogListSchema,
    MuteSchema,
    QueueArgs,
    ReasonSchema,
    ReasonVersionSchema,
    ReviewItemListSchema,
    ReviewItemSchema,
    SanctionResultSchema,
    SettingsSchema,
    VersionSchema,
    WarnSchema,
    WatchedWordCreateSchema,
    WatchedWordListSchema,
    WatchedWordSchema,
)

blp = api_blueprint("api_moderation", __name__,
                    "Flags, the review queue, sanctions, the moderation log and watched words.")

_ERRORS = (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)


def _errors(*statuses: HTTPStatus):  # type: ignore[no-untyped-def]
    def wrap(func):  # type: ignore[no-untyped-def]
        for status in (*_ERRORS, *statuses):
            func = blp.alt_response(status, schema=ErrorSchema)(func)
        return func
    return wrap


def _queue_cursor(raw: str | None) -> list[int] | None:
    value = decode_cursor(raw)
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise bad_cursor()
    return value


def _log_cursor(raw: str | None) -> int | None:
    value = decode_cursor(raw)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_cursor()
    return value


def _decided(item: ReviewItem, moderator: Moderator) -> dict[str, Any]:
    """The item as the action just wrote it (flushed, version bumped), read before the
    commit expires it: the response needs no second round of queries."""
    return queries.queue_rows([item], {moderator.user_id: moderator.user.display_name})[0]


def _queue(space_ids: list[int] | None, args: dict[str, Any]) -> dict[str, Any]:
    items, next_cursor = queries.list_queue(space_ids=space_ids, state=ReviewState(args["state"]),
                                            cursor=_queue_cursor(args["cursor"]),
                                            limit=args["limit"])
    return {"items": queries.queue_rows(items),
            "next_cursor": encode_cursor(next_cursor) if next_cursor else None,
            "pending": queries.count_pending(space_ids)}


# --- flags ------------------------------------------------------------------------------

@blp.route("/posts/<int:post_id>/flags", methods=["POST"])
@login_required
@blp.arguments(FlagCreateSchema)
@blp.response(HTTPStatus.CREATED, FlagEnvelopeSchema)
@_errors(HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY,
         HTTPStatus.PRECONDITION_REQUIRED)
def flag_post(body: dict[str, Any], post_id: int):  # type: ignore[no-untyped-def]
    """Flag a post with a reason and an optional note; one flag per member per post."""
    post, reader = access_post_by_id(current_user, post_id)
    flag = actions.check_flag_post(post, reader, reason=body["reason"], note=body["note"])
    db.session.commit()
    return {"flag": {"id": flag.id, "post_id": flag.post_id, "reason": flag.reason.value,
                     "note": flag.note, "created_at": flag.created_at}}


# --- the queue --------------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/queue", methods=["GET"])
@login_required
@blp.arguments(QueueArgs, location="query")
@blp.response(HTTPStatus.OK, ReviewItemListSchema)
@_errors(HTTPStatus.PRECONDITION_REQUIRED)
def space_queue(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """The space's review items, most urgent (safety) first, then oldest."""
    moderator = access_review_space(current_user, space_id)
    return _queue([moderator.space.id], args)


@blp.route("/queue", methods=["GET"])
@login_required
@blp.arguments(QueueArgs, location="query")
@blp.response(HTTPStatus.OK, ReviewItemListSchema)
@_errors()
def site_queue(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Every space's review items (admins)."""
    access_site_queue(current_user)
    return _queue(None, args)


@blp.route("/queue/<int:item_id>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ReviewItemSchema)
@_errors()
def get_item(item_id: int):  # type: ignore[no-untyped-def]
    """An item with its post in context, flags and notes, and the author's history."""
    item, _moderator = access_review_item_by_id(current_user, item_id)
    return queries.item_detail(item)


@blp.route("/queue/<int:item_id>/claim", methods=["POST"])
@login_required
@blp.arguments(VersionSchema)
@blp.response(HTTPStatus.OK, ReviewItemSchema)
@_errors(HTTPStatus.CONFLICT)
def claim_item(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Claim the item; 409 (with the current item) if someone acted first."""
    item, moderator = access_review_item_by_id(current_user, item_id, for_update=True)
    actions.check_claim(item, moderator, version=body["version"])
    row = _decided(item, moderator)
    db.session.commit()
    return row


@blp.route("/queue/<int:item_id>/unclaim", methods=["POST"])
@login_required
@blp.arguments(VersionSchema)
@blp.response(HTTPStatus.OK, ReviewItemSchema)
@_errors(HTTPStatus.CONFLICT)
def unclaim_item(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Give a claimed item back to the queue."""
    item, moderator = access_review_item_by_id(current_user, item_id, for_update=True)
    actions.check_unclaim(item, moderator, version=body["version"])
    row = _decided(item, moderator)
    db.session.commit()
    return row


@blp.route("/queue/<int:item_id>/approve", methods=["POST"])
@login_required
@blp.arguments(ApproveSchema)
@blp.response(HTTPStatus.OK, ReviewItemSchema)
@_errors(HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY)
def approve_item(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Approve (publish a held post); with `body`, edit-and-approve (kept as a revision)."""
    item, moderator = access_review_item_by_id(current_user, item_id, for_update=True)
    actions.check_approve(item, moderator, version=body["version"], body=body["body"],
                          reason=body["reason"])
    row = _decided(item, moderator)
    db.session.commit()
    return row


@blp.route("/queue/<int:item_id>/reject", methods=["POST"])
@login_required
@blp.arguments(ReasonVersionSchema)
@blp.response(HTTPStatus.OK, ReviewItemSchema)
@_errors(HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY)
def reject_item(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Reject with a reason, sent privately to the author."""
    item, moderator = access_review_item_by_id(current_user, item_id, for_update=True)
    actions.check_reject(item, moderator, version=body["version"], reason=body["reason"])
    row = _decided(item, moderator)
    db.session.commit()
    return row


@blp.route("/queue/<int:item_id>/remove", methods=["POST"])
@login_required
@blp.arguments(ReasonVersionSchema)
@blp.response(HTTPStatus.OK, ReviewItemSchema)
@_errors(HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY)
def remove_item(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Remove the post, leaving a tombstone."""
    item, moderator = access_review_item_by_id(current_user, item_id, for_update=True)
    actions.check_remove(item, moderator, version=body["version"], reason=body["reason"])
    row = _decided(item, moderator)
    db.session.commit()
    return row


# --- sanctions --------------------------------------------------------------------------

def _author_of(item_id: int, *, for_admin: bool = False):  # type: ignore[no-untyped-def]
    item, moderator = access_review_item_by_id(current_user, item_id)
    if item.author_user_id is None:
        raise NotFound()
    if for_admin:
        return item, moderator, None
    return item, moderator, access_member_to_sanction(moderator, item.author_user_id)


@blp.route("/queue/<int:item_id>/warn", methods=["POST"])
@login_required
@blp.arguments(WarnSchema)
@blp.response(HTTPStatus.OK, SanctionResultSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def warn_author(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Warn the item's author privately."""
    item, moderator, target = _author_of(item_id)
    actions.check_warn(moderator, target, message=body["message"], item=item)
    db.session.commit()
    return {"user_id": target.user_id, "action": "warn", "until": None}


@blp.route("/queue/<int:item_id>/mute", methods=["POST"])
@login_required
@blp.arguments(MuteSchema)
@blp.response(HTTPStatus.OK, SanctionResultSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def mute_author(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Mute the item's author in the space for `hours` (they can still read)."""
    item, moderator, target = _author_of(item_id)
    until = actions.check_mute(moderator, target, hours=body["hours"], reason=body["reason"],
                               item=item)
    db.session.commit()
    return {"user_id": target.user_id, "action": "mute", "until": until}


@blp.route("/queue/<int:item_id>/remove-member", methods=["POST"])
@login_required
@blp.arguments(ReasonSchema)
@blp.response(HTTPStatus.OK, SanctionResultSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT)
def remove_author(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Remove the item's author from the space."""
    item, moderator, target = _author_of(item_id)
    actions.check_remove_member(moderator, target, reason=body["reason"], item=item)
    db.session.commit()
    return {"user_id": target.user_id, "action": "remove_member", "until": None}


@blp.route("/queue/<int:item_id>/suspend", methods=["POST"])
@login_required
@blp.arguments(ReasonSchema)
@blp.response(HTTPStatus.OK, SanctionResultSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def suspend_author(body: dict[str, Any], item_id: int):  # type: ignore[no-untyped-def]
    """Suspend the item's author site-wide (admins)."""
    from community.accounts.models import User

    item, moderator, _target = _author_of(item_id, for_admin=True)
    user = db.session.get(User, item.author_user_id)
    if user is None:
        raise NotFound()
    actions.check_suspend(moderator, user, reason=body["reason"], item=item)
    db.session.commit()
    return {"user_id": user.id, "action": "suspend", "until": None}


@blp.route("/spaces/<int:space_id>/members/<int:user_id>/mute", methods=["POST"])
@login_required
@blp.arguments(MuteSchema)
@blp.response(HTTPStatus.OK, SanctionResultSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def mute_member(body: dict[str, Any], space_id: int, user_id: int):  # type: ignore[no-untyped-def]
    """Mute a member of the space for `hours`."""
    moderator = access_review_space(current_user, space_id)
    target = access_member_to_sanction(moderator, user_id)
    until = actions.check_mute(moderator, target, hours=body["hours"], reason=body["reason"])
    db.session.commit()
    return {"user_id": user_id, "action": "mute", "until": until}


@blp.route("/spaces/<int:space_id>/members/<int:user_id>/mute", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.OK, SanctionResultSchema)
@_errors()
def unmute_member(space_id: int, user_id: int):  # type: ignore[no-untyped-def]
    """Lift a member's mute."""
    moderator = access_review_space(current_user, space_id)
    target = access_member_to_sanction(moderator, user_id)
    actions.do_unmute(moderator, target)
    db.session.commit()
    return {"user_id": user_id, "action": "unmute", "until": None}


# --- the log ----------------------------------------------------------------------------

def _log(space_id: int | None, args: dict[str, Any]) -> dict[str, Any]:
    rows, more = queries.list_log(space_id=space_id, action=args["action"],
                                  actor_id=args["actor_id"],
                                  target_user_id=args["target_user_id"], since=args["since"],
                                  until=args["until"], before=_log_cursor(args["cursor"]),
                                  limit=args["limit"])
    names = queries.log_names(rows)
    return {"items": [queries.log_view(r, names) for r in rows],
            "next_cursor": encode_cursor(more) if more else None}


@blp.route("/spaces/<int:space_id>/moderation-log", methods=["GET"])
@login_required
@blp.arguments(LogArgs, location="query")
@blp.response(HTTPStatus.OK, LogListSchema)
@_errors(HTTPStatus.PRECONDITION_REQUIRED)
def space_log(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """The space's moderation decisions, newest first; filter by action, actor, member,
    time."""
    moderator = access_review_space(current_user, space_id)
    return _log(moderator.space.id, args)


@blp.route("/moderation-log", methods=["GET"])
@login_required
@blp.arguments(LogArgs, location="query")
@blp.response(HTTPStatus.OK, LogListSchema)
@_errors()
def site_log(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Every space's moderation decisions (admins); `space_id` narrows it."""
    access_site_queue(current_user)
    return _log(args["space_id"], args)


# --- watched words ----------------------------------------------------------------------

def _word(word) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"id": word.id, "space_id": word.space_id, "pattern": word.pattern,
            "action": word.action.value, "created_at": word.created_at}


@blp.route("/spaces/<int:space_id>/watched-words", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, WatchedWordListSchema)
@_errors()
def space_watched_words(space_id: int):  # type: ignore[no-untyped-def]
    """The space's own watched words (site-wide ones apply too)."""
    moderator = access_review_space(current_user, space_id)
    return {"items": [_word(w) for w in queries.list_watched_words(moderator.space.id)],
            "next_cursor": None}


@blp.route("/spaces/<int:space_id>/watched-words", methods=["POST"])
@login_required
@blp.arguments(WatchedWordCreateSchema)
@blp.response(HTTPStatus.CREATED, WatchedWordSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def add_space_watched_word(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Watch a word, phrase or simple pattern (* at a word's edge, ? for one letter)."""
    moderator = access_review_space(current_user, space_id)
    word = actions.check_add_watched_word(moderator.space, pattern=body["pattern"],
                                          action=body["action"], acting_user=current_user)
    db.session.commit()
    return _word(word)


@blp.route("/watched-words", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, WatchedWordListSchema)
@_errors()
def site_watched_words():  # type: ignore[no-untyped-def]
    """Site-wide watched words (admins)."""
    access_site_queue(current_user)
    return {"items": [_word(w) for w in queries.list_watched_words(None)], "next_cursor": None}


@blp.route("/watched-words", methods=["POST"])
@login_required
@blp.arguments(WatchedWordCreateSchema)
@blp.response(HTTPStatus.CREATED, WatchedWordSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def add_site_watched_word(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Add a site-wide watched word (admins)."""
    access_site_queue(current_user)
    word = actions.check_add_watched_word(None, pattern=body["pattern"], action=body["action"],
                                          acting_user=current_user)
    db.session.commit()
    return _word(word)


@blp.route("/watched-words/<int:word_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@_errors()
def delete_watched_word(word_id: int):  # type: ignore[no-untyped-def]
    """Stop watching a word (admins for site-wide ones, reviewers for a space's)."""
    word, _moderator = access_watched_word_by_id(current_user, word_id)
    actions.do_delete_watched_word(word, acting_user=current_user)
    db.session.commit()


# --- settings ---------------------------------------------------------------------------

def _settings(moderator) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    row = queries.space_settings(moderator.space.id)
    return {"moderation_policy": moderator.space.moderation_policy.value,
            "new_member_holds": row.new_member_holds, "flag_threshold": row.flag_threshold}


@blp.route("/spaces/<int:space_id>/moderation", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, SettingsSchema)
@_errors()
def get_settings(space_id: int):  # type: ignore[no-untyped-def]
    """The space's moderation settings (the policy itself is a space setting)."""
    return _settings(access_review_space(current_user, space_id))


@blp.route("/spaces/<int:space_id>/moderation", methods=["PATCH"])
@login_required
@blp.arguments(SettingsSchema)
@blp.response(HTTPStatus.OK, SettingsSchema)
@_errors(HTTPStatus.UNPROCESSABLE_ENTITY)
def update_settings(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Set how many first posts of new members are held, and the flag threshold."""
    moderator = access_review_space(current_user, space_id)
    actions.check_update_settings(moderator, **body)
    db.session.commit()
    return _settings(moderator)
