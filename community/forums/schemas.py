"""API schemas for threads, posts, search, events and notifications."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from community.forums.models import ThreadKind

# Lengths are checked by the actions after normalizing; these caps only keep absurd
# requests out before any work is done.
_TEXT_CAP = validate.Length(max=100_000)


class AuthorSchema(Schema):
    membership_id = fields.Integer(allow_none=True)
    name = fields.String(required=True, metadata={"description": "What peers see."})
    pseudonym = fields.String(metadata={"description": "Set when the member uses one."})
    display_name = fields.String(metadata={"description": "Only when there is no pseudonym."})
    role = fields.String(allow_none=True)


class ThreadSchema(Schema):
    id = fields.Integer(required=True)
    space_id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ThreadKind]))
    state = fields.String(required=True)
    pinned = fields.Boolean(required=True)
    locked = fields.Boolean(required=True)
    replies_allowed = fields.Boolean(required=True)
    post_count = fields.Integer(required=True)
    last_post_id = fields.Integer(required=True)
    last_post_at = fields.DateTime(required=True)
    created_at = fields.DateTime(required=True)
    author = fields.Nested(AuthorSchema, required=True)
    unread = fields.Boolean(allow_none=True, metadata={
        "description": "Whether there are posts since the caller last read the thread."})
    last_read_post_id = fields.Integer(allow_none=True)


class PostSchema(Schema):
    id = fields.Integer(required=True)
    thread_id = fields.Integer(required=True)
    space_id = fields.Integer(required=True)
    author = fields.Nested(AuthorSchema, required=True)
    state = fields.String(required=True, metadata={
        "description": "published, pending, rejected or removed"})
    body_html = fields.String(required=True, metadata={
        "description": "Sanitized HTML; empty for a removed post unless you facilitate."})
    body = fields.String(metadata={"description": "Markdown source: author and facilitators."})
    state_reason = fields.String(allow_none=True)
    removed_by = fields.String(allow_none=True, metadata={"description": "author or facilitator"})
    quote_of_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(allow_none=True)
    can_edit = fields.Boolean()


class ThreadListSchema(Schema):
    items = fields.List(fields.Nested(ThreadSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PostListSchema(Schema):
    items = fields.List(fields.Nested(PostSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    prev_cursor = fields.String(allow_none=True, required=True)


class ThreadCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=1000))
    body = fields.String(required=True, validate=_TEXT_CAP)
    kind = fields.String(load_default=ThreadKind.DISCUSSION.value,
                         validate=validate.OneOf([ThreadKind.DISCUSSION.value,
                                                  ThreadKind.ANNOUNCEMENT.value]))
    replies_allowed = fields.Boolean(load_default=True, metadata={
        "description": "Announcements: whether members may reply."})


class ThreadCreatedSchema(Schema):
    thread = fields.Nested(ThreadSchema, required=True)
    post = fields.Nested(PostSchema, required=True)


class ThreadUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(max=1000))
    pinned = fields.Boolean()
    locked = fields.Boolean()
    replies_allowed = fields.Boolean()


class PostCreateSchema(Schema):
    body = fields.String(required=True, validate=_TEXT_CAP)
    quote_of_id = fields.Integer(load_default=None, allow_none=True)


class PostUpdateSchema(Schema):
    body = fields.String(required=True, validate=_TEXT_CAP)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=2000))


class PostRemoveArgs(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class PostEnvelopeSchema(Schema):
    post = fields.Nested(PostSchema, required=True)


class PostListArgs(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    last = fields.Boolean(load_default=False, metadata={"description": "Start at the end."})


class ReadSchema(Schema):
    post_id = fields.Integer(required=True, validate=validate.Range(min=0))


class RevisionSchema(Schema):
    id = fields.Integer(required=True)
    body = fields.String(required=True, attribute="source")
    body_html = fields.String(required=True)
    written_at = fields.DateTime(required=True)
    replaced_at = fields.DateTime(required=True)
    changed_by_id = fields.Integer(allow_none=True)
    reason = fields.String(required=True)


class RevisionListSchema(Schema):
    items = fields.List(fields.Nested(RevisionSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=30, validate=validate.Range(1, 100))


class ThreadBriefSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)


class SearchHitSchema(Schema):
    post = fields.Nested(PostSchema, required=True)
    thread = fields.Nested(ThreadBriefSchema, required=True)


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class EventArgs(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class EventSchema(Schema):
    id = fields.Integer(required=True)
    space_id = fields.Integer(required=True)
    type = fields.String(required=True)
    data = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    last_event_id = fields.Integer(required=True, metadata={
        "description": "Pass as ?after= next time (the given value when nothing is new)."})
    more = fields.Boolean(required=True)


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    space_id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    thread_id = fields.Integer(required=True)
    thread_title = fields.String(required=True)
    author = fields.Nested(AuthorSchema, required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)
