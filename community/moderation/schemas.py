"""API schemas for flags, the queue, sanctions, the log, watched words and settings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from community.forums.schemas import PostSchema
from community.moderation.models import FlagReason, ReviewState, WatchedAction

_CAP = validate.Length(max=5000)


class FlagCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in FlagReason]))
    note = fields.String(load_default=None, allow_none=True, validate=_CAP)


class FlagSchema(Schema):
    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    note = fields.String()
    created_at = fields.DateTime(required=True)


class FlagEnvelopeSchema(Schema):
    flag = fields.Nested(FlagSchema, required=True)


class PersonSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ReviewPostSchema(PostSchema):
    thread_title = fields.String()


class ReviewItemSchema(Schema):
    id = fields.Integer(required=True)
    space_id = fields.Integer(required=True)
    space_name = fields.String()
    post_id = fields.Integer(required=True)
    state = fields.String(required=True, metadata={
        "description": "pending, approved, rejected or removed"})
    priority = fields.String(required=True, metadata={
        "description": "safety, personal_data, flagged or held (the queue's order)"})
    reasons = fields.List(fields.Dict(), required=True)
    safety = fields.Boolean(required=True)
    escalated = fields.Boolean(required=True)
    claimed_by = fields.Nested(PersonSchema, allow_none=True)
    resolved_by = fields.Nested(PersonSchema, allow_none=True)
    resolution_reason = fields.String(allow_none=True)
    version = fields.Integer(required=True, metadata={
        "description": "Send it back with every action; 409 when someone acted first."})
    created_at = fields.DateTime(required=True)
    opened_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(allow_none=True)
    post = fields.Nested(ReviewPostSchema)
    context = fields.List(fields.Nested(PostSchema))
    flags = fields.List(fields.Dict())
    author_history = fields.Dict()


class ReviewItemListSchema(Schema):
    items = fields.List(fields.Nested(ReviewItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    pending = fields.Integer(required=True)


class QueueArgs(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    state = fields.String(load_default=ReviewState.PENDING.value,
                          validate=validate.OneOf([s.value for s in ReviewState]))


class VersionSchema(Schema):
    version = fields.Integer(required=True)


class ApproveSchema(VersionSchema):
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(
        max=100_000), metadata={"description": "Edit-and-approve: the corrected text."})
    reason = fields.String(load_default=None, allow_none=True, validate=_CAP)


class ReasonVersionSchema(VersionSchema):
    reason = fields.String(required=True, validate=_CAP)


class WarnSchema(Schema):
    message = fields.String(required=True, validate=_CAP)


class MuteSchema(Schema):
    hours = fields.Integer(required=True)
    reason = fields.String(required=True, validate=_CAP)


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=_CAP)


class SanctionResultSchema(Schema):
    user_id = fields.Integer(required=True)
    action = fields.String(required=True)
    until = fields.DateTime(allow_none=True)


class LogArgs(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    action = fields.String(load_default=None, validate=validate.Length(max=32))
    actor_id = fields.Integer(load_default=None)
    target_user_id = fields.Integer(load_default=None)
    space_id = fields.Integer(load_default=None)
    since = fields.DateTime(load_default=None)
    until = fields.DateTime(load_default=None)


class LogEntrySchema(Schema):
    id = fields.Integer(required=True)
    space_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)
    action = fields.String(required=True)
    item_id = fields.Integer(allow_none=True)
    post_id = fields.Integer(allow_none=True)
    target_user_id = fields.Integer(allow_none=True)
    target = fields.String(allow_none=True)
    reason = fields.String()
    data = fields.Dict()
    created_at = fields.DateTime(required=True)


class LogListSchema(Schema):
    items = fields.List(fields.Nested(LogEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class WatchedWordCreateSchema(Schema):
    pattern = fields.String(required=True, validate=validate.Length(max=1000))
    action = fields.String(required=True,
                           validate=validate.OneOf([a.value for a in WatchedAction]))


class WatchedWordSchema(Schema):
    id = fields.Integer(required=True)
    space_id = fields.Integer(allow_none=True)
    pattern = fields.String(required=True)
    action = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class WatchedWordListSchema(Schema):
    items = fields.List(fields.Nested(WatchedWordSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SettingsSchema(Schema):
    moderation_policy = fields.String(dump_only=True)
    new_member_holds = fields.Integer(metadata={
        "description": "With the new_members policy: how many first posts are held."})
    flag_threshold = fields.Integer(metadata={
        "description": "Flags that hide a post pending review."})
