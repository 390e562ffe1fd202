"""JSON API for activities, announcements, live sessions and the resource library."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from community.api.common import ErrorSchema, api_blueprint
from community.extensions import db
from community.facilitation import activities, resources, sessions
from community.facilitation.models.activities import Activity, AnswerVisibility, Dots
from community.facilitation.models.resources import ResourceState
from community.facilitation.templates_library import TEMPLATES, template_view
from community.forums import queries as forum_queries
from community.forums.access import access_space_content, access_thread_by_id
from community.forums.schemas import ThreadCreatedSchema

blp = api_blueprint("api_facilitation_tools", __name__,
                    "Facilitator tools: activities, announcements, live sessions, resources.")

_DOTS = validate.OneOf([d.value for d in Dots])
_TEXT = validate.Length(max=100_000)


def _errors(*statuses: HTTPStatus):  # type: ignore[no-untyped-def]
    def wrap(func):  # type: ignore[no-untyped-def]
        for status in (HTTPStatus.NOT_FOUND, HTTPStatus.PRECONDITION_REQUIRED, *statuses):
            func = blp.alt_response(status, schema=ErrorSchema)(func)
        return func
    return wrap


# --- schemas -----------------------------------------------------------------------------

class TemplateSchema(Schema):
    key, title, dots = fields.String(), fields.String(), fields.String()
    prompt, instructions, visibility = fields.String(), fields.String(), fields.String()
    days_open = fields.Integer()


class TemplateListSchema(Schema):
    items = fields.List(fields.Nested(TemplateSchema))


class ActivitySchema(Schema):
    id, thread_id, space_id = fields.Integer(), fields.Integer(), fields.Integer()
    title, template, instructions = fields.String(), fields.String(allow_none=True), \
        fields.String()
    dots, visibility, status = fields.String(), fields.String(), fields.String()
    opens_at, closes_at, created_at = fields.DateTime(), fields.DateTime(), fields.DateTime()


class ActivityListSchema(Schema):
    items = fields.List(fields.Nested(ActivitySchema))
    next_cursor = fields.Integer(allow_none=True)


class ActivityListArgs(Schema):
    before = fields.Integer(load_default=None)


class ActivityCreateSchema(Schema):
    template = fields.String(load_default=None, validate=validate.Length(max=64))
    title = fields.String(load_default=None, validate=validate.Length(max=1000))
    prompt = fields.String(load_default=None, validate=_TEXT)
    instructions = fields.String(load_default=None, validate=_TEXT)
    dots = fields.String(load_default=None, validate=_DOTS)
    visibility = fields.String(load_default=None, validate=validate.OneOf(
        [v.value for v in AnswerVisibility]))
    opens_at = fields.AwareDateTime(load_default=None)
    closes_at = fields.AwareDateTime(required=True)


class ActivityUpdateSchema(Schema):
    instructions = fields.String(validate=_TEXT)
    visibility = fields.String(validate=validate.OneOf([v.value for v in AnswerVisibility]))
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()


class AnnouncementCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=1000))
    body = fields.String(required=True, validate=_TEXT)
    pinned = fields.Boolean(load_default=False)
    replies_allowed = fields.Boolean(load_default=True)


class LiveSessionSchema(Schema):
    id, space_id, title = fields.Integer(), fields.Integer(), fields.String()
    starts_at, ends_at = fields.DateTime(), fields.DateTime()
    weekly, live_now = fields.Boolean(), fields.Boolean()
    repeat_until = fields.Date(allow_none=True)
    repeat_count = fields.Integer(allow_none=True)
    next_starts_at = fields.DateTime(allow_none=True)


class LiveSessionListSchema(Schema):
    items = fields.List(fields.Nested(LiveSessionSchema))
    next_cursor = fields.String(allow_none=True)


class LiveSessionCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=1000))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    weekly = fields.Boolean(load_default=False)
    repeat_until = fields.Date(load_default=None)
    repeat_count = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000))


class ResourceSchema(Schema):
    id, space_id, title, url = fields.Integer(), fields.Integer(), fields.String(), \
        fields.String()
    good_for, source_org, dots, state = fields.String(), fields.String(), fields.String(), \
        fields.String()
    vetted_by_id = fields.Integer(allow_none=True)
    vetted_at = fields.DateTime(allow_none=True)
    checked_on = fields.DateTime(allow_none=True)
    needs_recheck = fields.Boolean()
    created_at = fields.DateTime()


class ResourceListSchema(Schema):
    items = fields.List(fields.Nested(ResourceSchema))
    next_cursor = fields.String(allow_none=True)


class ResourceListArgs(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(
        [s.value for s in ResourceState]))


class ResourceCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=1000))
    url = fields.String(required=True, validate=validate.Length(max=5000))
    good_for = fields.String(load_default="", validate=_TEXT)
    source_org = fields.String(load_default="", validate=validate.Length(max=1000))
    dots = fields.String(required=True, validate=_DOTS)


class ResourceUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(max=1000))
    url = fields.String(validate=validate.Length(max=5000))
    good_for = fields.String(validate=_TEXT)
    source_org = fields.String(validate=validate.Length(max=1000))
    dots = fields.String(validate=_DOTS)
    decision = fields.String(validate=validate.OneOf(["approve", "reject"]))
    checked = fields.Boolean(metadata={"description": "true: mark as checked today."})


# --- activities and announcements --------------------------------------------------------

@blp.route("/activity-templates", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, TemplateListSchema)
def list_templates():  # type: ignore[no-untyped-def]
    """The ready activity templates."""
    return {"items": [template_view(t) for t in TEMPLATES]}


@blp.route("/spaces/<int:space_id>/activities", methods=["GET"])
@login_required
@blp.arguments(ActivityListArgs, location="query")
@blp.response(HTTPStatus.OK, ActivityListSchema)
@_errors()
def list_activities(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """The space's activities, newest first."""
    reader = access_space_content(current_user, space_id)
    rows, next_cursor = activities.list_activities(reader, before=args["before"])
    return {"items": [activities.activity_view(a) for a in rows], "next_cursor": next_cursor}


@blp.route("/spaces/<int:space_id>/activities", methods=["POST"])
@login_required
@blp.arguments(ActivityCreateSchema)
@blp.response(HTTPStatus.CREATED, ActivitySchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def create_activity(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Start an activity (facilitators), from a template or from scratch."""
    reader = access_space_content(current_user, space_id)
    activity = activities.check_create_activity(reader.space, reader.membership, **body)
    db.session.commit()
    return activities.activity_view(activity)


def _access_activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id) if current_user.is_authenticated else None
    if activity is None:
        from community.errors import NotFound
        raise NotFound()
    access_thread_by_id(current_user, activity.thread_id)
    return activity


@blp.route("/activities/<int:activity_id>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ActivitySchema)
@_errors()
def get_activity(activity_id: int):  # type: ignore[no-untyped-def]
    """One activity (its answers are the thread's posts)."""
    return activities.activity_view(_access_activity(activity_id))


@blp.route("/activities/<int:activity_id>", methods=["PATCH"])
@login_required
@blp.arguments(ActivityUpdateSchema)
@blp.response(HTTPStatus.OK, ActivitySchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def update_activity(body: dict[str, Any], activity_id: int):  # type: ignore[no-untyped-def]
    """Change instructions, answer visibility or times (facilitators)."""
    activity = _access_activity(activity_id)
    _thread, reader = access_thread_by_id(current_user, activity.thread_id)
    activities.check_update_activity(activity, reader.membership, **body)
    db.session.commit()
    return activities.activity_view(activity)


@blp.route("/spaces/<int:space_id>/announcements", methods=["POST"])
@login_required
@blp.arguments(AnnouncementCreateSchema)
@blp.response(HTTPStatus.CREATED, ThreadCreatedSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def create_announcement(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Announce something to the whole space (facilitators), optionally pinned and with
    replies closed."""
    reader = access_space_content(current_user, space_id)
    thread, post = activities.check_create_announcement(reader.space, reader.membership, **body)
    db.session.commit()
    return {"thread": forum_queries.thread_view(thread),
            "post": forum_queries.post_view(post, reader)}


# --- live sessions -----------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/live-sessions", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, LiveSessionListSchema)
@_errors()
def list_live_sessions(space_id: int):  # type: ignore[no-untyped-def]
    """The space's live sessions, with whether one is live now and the next start."""
    reader = access_space_content(current_user, space_id)
    return {"items": [sessions.session_view(s) for s in sessions.list_sessions(reader.space.id)],
            "next_cursor": None}


@blp.route("/spaces/<int:space_id>/live-sessions", methods=["POST"])
@login_required
@blp.arguments(LiveSessionCreateSchema)
@blp.response(HTTPStatus.CREATED, LiveSessionSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def create_live_session(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Schedule a live session, optionally weekly (facilitators)."""
    reader = access_space_content(current_user, space_id)
    session = sessions.check_create_session(reader.space, reader.membership, **body)
    db.session.commit()
    return sessions.session_view(session)


@blp.route("/live-sessions/<int:session_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@_errors(HTTPStatus.FORBIDDEN)
def delete_live_session(session_id: int):  # type: ignore[no-untyped-def]
    """Cancel a session or a whole weekly series (facilitators)."""
    session, reader = sessions.access_session_by_id(current_user, session_id)
    sessions.check_delete_session(session, reader.membership)
    db.session.commit()


# --- resources ---------------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/resources", methods=["GET"])
@login_required
@blp.arguments(ResourceListArgs, location="query")
@blp.response(HTTPStatus.OK, ResourceListSchema)
@_errors()
def list_resources(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Approved resources (facilitators also see suggestions and rejections)."""
    reader = access_space_content(current_user, space_id)
    state = ResourceState(args["state"]) if args["state"] else None
    return {"items": [resources.resource_view(r)
                      for r in resources.list_resources(reader, state=state)],
            "next_cursor": None}


@blp.route("/spaces/<int:space_id>/resources", methods=["POST"])
@login_required
@blp.arguments(ResourceCreateSchema)
@blp.response(HTTPStatus.CREATED, ResourceSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def create_resource(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Suggest a resource (members) or add an approved one (facilitators)."""
    reader = access_space_content(current_user, space_id)
    resource = resources.check_add_resource(reader, body)
    db.session.commit()
    return resources.resource_view(resource)


@blp.route("/resources/<int:resource_id>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, ResourceSchema)
@_errors()
def get_resource(resource_id: int):  # type: ignore[no-untyped-def]
    """One resource."""
    resource, _reader = resources.access_resource_by_id(current_user, resource_id)
    return resources.resource_view(resource)


@blp.route("/resources/<int:resource_id>", methods=["PATCH"])
@login_required
@blp.arguments(ResourceUpdateSchema)
@blp.response(HTTPStatus.OK, ResourceSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT)
def update_resource(body: dict[str, Any], resource_id: int):  # type: ignore[no-untyped-def]
    """Edit, approve or reject, or mark as checked today (facilitators)."""
    resource, reader = resources.access_resource_by_id(current_user, resource_id)
    decision, checked = body.pop("decision", None), body.pop("checked", False)
    resources.check_update_resource(resource, reader, body)
    if decision:
        resources.check_decide_resource(resource, reader, approve=decision == "approve")
    if checked:
        resources.check_recheck_resource(resource, reader)
    db.session.commit()
    return resources.resource_view(resource)
