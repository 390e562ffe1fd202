"""Join requests for spaces that take them: asked by non-members, decided by facilitators."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from community.extensions import db
from community.spaces.models import (
    Anonymity,
    JoinPolicy,
    JoinRequest,
    JoinRequestState,
    MembershipState,
)
from tests.factories import make_space, make_user
from tests.spaces.conftest import audit_rows, membership_of


@pytest.fixture
def open_space(app, facilitator, member):  # type: ignore[no-untyped-def]
    return make_space(name="Open door", facilitators=[facilitator], members=[(member, "Robin")],
                      join_policy=JoinPolicy.REQUEST, anonymity=Anonymity.PSEUDONYMS_REQUIRED)


def ask(client, space, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/spaces/{space.id}/join-requests", json=body)


def test_a_non_member_asks_and_a_facilitator_approves(app, as_user, open_space, facilitator,
                                                      outsider):
    response = ask(as_user(outsider), open_space, pseudonym="Wanderer", message="Hi there")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["state"] == "pending"
    listed = as_user(facilitator).get(f"/api/v1/spaces/{open_space.id}/join-requests").json
    assert [(r["display_name"], r["pseudonym"], r["message"]) for r in listed["items"]] == \
        [("Otto Outsider", "Wanderer", "Hi there")]
    decided = as_user(facilitator).post(
        f"/api/v1/spaces/{open_space.id}/join-requests/{response.json['id']}/approve")
    assert decided.status_code == HTTPStatus.OK
    assert decided.json["join_request"]["state"] == "approved"
    membership = membership_of(outsider, open_space)
    assert membership.is_active and membership.pseudonym == "Wanderer"
    (row,) = audit_rows("join_request:decide")
    assert row.actor_id == facilitator.id and row.data["decision"] == "approved"
    assert audit_rows("membership:join")[0].target_id == outsider.id
    again = as_user(facilitator).post(
        f"/api/v1/spaces/{open_space.id}/join-requests/{response.json['id']}/decline")
    assert again.status_code == HTTPStatus.CONFLICT


def test_a_facilitator_declines_and_the_person_may_ask_again(app, as_user, open_space,
                                                             facilitator, outsider):
    rid = ask(as_user(outsider), open_space, pseudonym="Wanderer").json["id"]
    decided = as_user(facilitator).post(
        f"/api/v1/spaces/{open_space.id}/join-requests/{rid}/decline")
    assert decided.status_code == HTTPStatus.OK
    assert decided.json["membership"] is None
    assert membership_of(outsider, open_space) is None
    assert audit_rows("join_request:decide")[0].data["decision"] == "declined"
    second = ask(as_user(outsider), open_space, pseudonym="Wanderer")
    assert second.status_code == HTTPStatus.CREATED and second.json["id"] == rid
    assert db.session.get(JoinRequest, rid).state == JoinRequestState.PENDING


def test_invite_only_spaces_take_no_requests(app, as_user, space, outsider):
    response = ask(as_user(outsider), space, pseudonym="Wanderer")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert as_user(outsider).get(f"/spaces/{space.id}/join").status_code == HTTPStatus.NOT_FOUND
    assert db.session.scalar(db.select(db.func.count(JoinRequest.id))) == 0


def test_a_member_cannot_ask_to_join_again(app, as_user, open_space, member):
    response = ask(as_user(member), open_space, pseudonym="Robin")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json["error"]["code"] == "already_member"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "pseudonym"), ({"pseudonym": "robin"}, "pseudonym"),
    ({"pseudonym": "Fine", "message": "m" * 1001}, "message")])
def test_bad_requests_are_named_and_not_stored(app, as_user, open_space, outsider, body, field):
    response = ask(as_user(outsider), open_space, **body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count(JoinRequest.id))) == 0


def test_approval_fails_cleanly_when_the_pseudonym_was_taken_since(app, as_user, open_space,
                                                                    facilitator, outsider):
    rid = ask(as_user(outsider), open_space, pseudonym="Wanderer").json["id"]
    late = make_user()
    other = ask(as_user(late), open_space, pseudonym="wanderer").json["id"]
    client = as_user(facilitator)
    client.post(f"/api/v1/spaces/{open_space.id}/join-requests/{other}/approve")
    response = client.post(f"/api/v1/spaces/{open_space.id}/join-requests/{rid}/approve")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json["error"]["code"] == "pseudonym_taken"
    assert membership_of(outsider, open_space) is None
    assert db.session.get(JoinRequest, rid).state == JoinRequestState.PENDING


@pytest.mark.parametrize(("persona", "status"), [
    ("member", HTTPStatus.FORBIDDEN), ("admin", HTTPStatus.FORBIDDEN),
    ("other_member", HTTPStatus.NOT_FOUND)])
def test_only_facilitators_list_and_decide(app, as_user, open_space, outsider, persona, status,
                                           request):
    rid = ask(as_user(outsider), open_space, pseudonym="Wanderer").json["id"]
    client = as_user(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/spaces/{open_space.id}/join-requests").status_code == status
    assert client.post(f"/api/v1/spaces/{open_space.id}/join-requests/{rid}/approve"
                       ).status_code == status
    assert db.session.get(JoinRequest, rid).state == JoinRequestState.PENDING


def test_a_request_of_space_a_cannot_be_decided_through_space_b(app, as_user, open_space,
                                                                other_space, outsider):
    newcomer = make_user()
    rid = ask(as_user(newcomer), open_space, pseudonym="Wanderer").json["id"]
    response = as_user(outsider).post(
        f"/api/v1/spaces/{other_space.id}/join-requests/{rid}/approve")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert db.session.get(JoinRequest, rid).state == JoinRequestState.PENDING


def test_a_removed_member_may_ask_again_and_is_reactivated(app, as_user, open_space,
                                                           facilitator, member):
    as_user(facilitator).delete(f"/api/v1/spaces/{open_space.id}/members/{member.id}")
    assert membership_of(member, open_space).state == MembershipState.REMOVED
    rid = ask(as_user(member), open_space, pseudonym="Robin").json["id"]
    as_user(facilitator).post(f"/api/v1/spaces/{open_space.id}/join-requests/{rid}/approve")
    assert membership_of(member, open_space).is_active
