"""JSON API for agreements: read, publish and accept the site's and each space's."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_login import current_user, login_required

from community.accounts.models import User
from community.agreements import actions, queries
from community.agreements.access import (
    access_site_agreement_to_publish,
    access_space_agreement_to_accept,
    access_space_agreement_to_manage,
    access_space_agreement_to_read,
)
from community.agreements.schemas import (
    AcceptanceListSchema,
    AcceptanceSchema,
    AcceptSchema,
    AgreementPublishSchema,
    AgreementSchema,
    OutdatedErrorSchema,
    VersionListSchema,
)
from community.api.common import (
    CursorArgs,
    ErrorSchema,
    api_blueprint,
    bad_cursor,
    decode_cursor,
    encode_cursor,
)
from community.errors import NotFound
from community.extensions import db
from community.spaces.models import Acceptance, Agreement
from community.spaces.queries import shown_name

blp = api_blueprint("api_agreements", __name__, "Confidentiality agreements and acceptance.")


def agreement_out(agreement: Agreement, user: User) -> dict[str, Any]:
    acceptance = queries.get_acceptance(user, agreement)
    current = queries.get_current_agreement(agreement.space_id)
    return {"space_id": agreement.space_id, "version": agreement.version,
            "title": agreement.title, "body_html": agreement.body_html,
            "published_at": agreement.published_at, "accepted": acceptance is not None,
            "accepted_at": acceptance.accepted_at if acceptance else None,
            "current": current is not None and current.id == agreement.id}


def _acceptance_out(acceptance: Acceptance) -> dict[str, Any]:
    return {"space_id": acceptance.agreement.space_id, "version": acceptance.agreement.version,
            "accepted_at": acceptance.accepted_at}


def _current(space_id: int | None) -> Agreement:
    agreement = queries.get_current_agreement(space_id)
    if agreement is None:
        raise NotFound(code="no_agreement")
    return agreement


def _version(space_id: int | None, version: int) -> Agreement:
    agreement = queries.get_agreement_version(space_id, version)
    if agreement is None:
        raise NotFound()
    return agreement


def _versions(space_id: int | None, args: dict[str, Any]) -> dict[str, Any]:
    before = decode_cursor(args["cursor"])
    if before is not None and not isinstance(before, int):
        raise bad_cursor()
    rows, next_before = queries.list_versions_page(space_id, before=before, limit=args["limit"])
    return {"items": rows,
            "next_cursor": encode_cursor(next_before) if next_before is not None else None}


# The site's baseline agreement


@blp.route("/agreements/site", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, AgreementSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def site_agreement():  # type: ignore[no-untyped-def]
    """The current site agreement and whether the caller has accepted it."""
    return agreement_out(_current(None), current_user)


@blp.route("/agreements/site", methods=["POST"])
@login_required
@blp.arguments(AgreementPublishSchema)
@blp.response(HTTPStatus.CREATED, AgreementSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, schema=ErrorSchema)
def publish_site_agreement(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Publish a new version of the site agreement (admins); everyone must accept it again."""
    access_site_agreement_to_publish(current_user)
    agreement = actions.check_publish_agreement(space=None, title=body["title"],
                                                body=body["body"], acting_user=current_user)
    db.session.commit()
    return agreement_out(agreement, current_user)


@blp.route("/agreements/site/versions", methods=["GET"])
@login_required
@blp.arguments(CursorArgs, location="query")
@blp.response(HTTPStatus.OK, VersionListSchema)
def site_versions(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Every published version of the site agreement, newest first."""
    return _versions(None, args)


@blp.route("/agreements/site/versions/<int:version>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, AgreementSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def site_version(version: int):  # type: ignore[no-untyped-def]
    """One version of the site agreement, current or earlier."""
    return agreement_out(_version(None, version), current_user)


@blp.route("/agreements/site/accept", methods=["POST"])
@login_required
@blp.arguments(AcceptSchema)
@blp.response(HTTPStatus.OK, AcceptanceSchema)
@blp.alt_response(HTTPStatus.CONFLICT, schema=OutdatedErrorSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def accept_site_agreement(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Accept the current site agreement; 409 `agreement_outdated` for an earlier version."""
    acceptance = actions.check_accept_agreement(current_user, space=None,
                                                version=body["version"])
    db.session.commit()
    return _acceptance_out(acceptance)


# A space's agreement


@blp.route("/spaces/<int:space_id>/agreement", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, AgreementSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def space_agreement(space_id: int):  # type: ignore[no-untyped-def]
    """The space's current agreement (members, facilitators; admins may read it)."""
    space, _membership = access_space_agreement_to_read(current_user, space_id)
    return agreement_out(_current(space.id), current_user)


@blp.route("/spaces/<int:space_id>/agreement", methods=["POST"])
@login_required
@blp.arguments(AgreementPublishSchema)
@blp.response(HTTPStatus.CREATED, AgreementSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, schema=ErrorSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def publish_space_agreement(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Publish a new version of the space's agreement (facilitators)."""
    space, _membership = access_space_agreement_to_manage(current_user, space_id)
    agreement = actions.check_publish_agreement(space=space, title=body["title"],
                                                body=body["body"], acting_user=current_user)
    db.session.commit()
    return agreement_out(agreement, current_user)


@blp.route("/spaces/<int:space_id>/agreement/versions", methods=["GET"])
@login_required
@blp.arguments(CursorArgs, location="query")
@blp.response(HTTPStatus.OK, VersionListSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def space_versions(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Every published version of the space's agreement, newest first."""
    space, _membership = access_space_agreement_to_read(current_user, space_id)
    return _versions(space.id, args)


@blp.route("/spaces/<int:space_id>/agreement/versions/<int:version>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, AgreementSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def space_version(space_id: int, version: int):  # type: ignore[no-untyped-def]
    """One version of the space's agreement, current or earlier."""
    space, _membership = access_space_agreement_to_read(current_user, space_id)
    return agreement_out(_version(space.id, version), current_user)


@blp.route("/spaces/<int:space_id>/agreement/accept", methods=["POST"])
@login_required
@blp.arguments(AcceptSchema)
@blp.response(HTTPStatus.OK, AcceptanceSchema)
@blp.alt_response(HTTPStatus.CONFLICT, schema=OutdatedErrorSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
@blp.alt_response(HTTPStatus.PRECONDITION_REQUIRED, schema=ErrorSchema)
def accept_space_agreement(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Accept the space's current agreement (members); the site agreement comes first."""
    space, _membership = access_space_agreement_to_accept(current_user, space_id)
    acceptance = actions.check_accept_agreement(current_user, space=space,
                                                version=body["version"])
    db.session.commit()
    return _acceptance_out(acceptance)


@blp.route("/spaces/<int:space_id>/agreement/acceptances", methods=["GET"])
@login_required
@blp.arguments(CursorArgs, location="query")
@blp.response(HTTPStatus.OK, AcceptanceListSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, schema=ErrorSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def space_acceptances(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Who among the active members has and has not accepted the current version."""
    space, _membership = access_space_agreement_to_manage(current_user, space_id)
    after = decode_cursor(args["cursor"])
    if after is not None and not isinstance(after, int):
        raise bad_cursor()
    current = queries.get_current_agreement(space.id)
    rows = queries.list_acceptances(space, current, after_id=after, limit=args["limit"] + 1)
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    items = [{"user_id": m.user_id, "membership_id": m.id, "name": shown_name(m),
              "role": m.role.value, "accepted": current is None or a is not None,
              "accepted_at": a.accepted_at if a else None} for m, a in rows]
    return {"version": current.version if current else None, "items": items,
            "next_cursor": encode_cursor(rows[-1][0].id) if more else None}
