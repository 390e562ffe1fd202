"""Invitation links: created by facilitators, stored hashed, accepted once per use."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest

from community.database import utcnow
from community.extensions import db
from community.security import hash_token
from community.spaces.models import Anonymity, Invitation, MembershipState, Role
from tests.factories import make_space, make_user
from tests.spaces.conftest import audit_rows, membership_of


def invite(client, space, **body):  # type: ignore[no-untyped-def]
    response = client.post(f"/api/v1/spaces/{space.id}/invitations", json=body)
    assert response.status_code == HTTPStatus.CREATED, response.json
    return response.json


def accept(client, token, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/invitations/{token}/accept", json=body)


def test_a_facilitator_creates_an_invitation_stored_only_hashed(app, as_user, space,
                                                                facilitator):
    created = invite(as_user(facilitator), space, role="member", max_uses=3,
                     expires_in_hours=24)
    assert created["url"] == f"http://localhost/invitations/{created['token']}"
    stored = db.session.get(Invitation, created["id"])
    assert stored.token_hash == hash_token(created["token"])
    assert created["token"] not in stored.token_hash
    assert stored.max_uses == 3 and stored.uses == 0
    assert timedelta(hours=23) < stored.expires_at - utcnow() <= timedelta(hours=24)
    (row,) = audit_rows("invitation:create")
    assert row.actor_id == facilitator.id and row.space_id == space.id
    assert created["token"] not in str(row.data)


def test_invitation_defaults_are_one_use_and_three_days(app, as_user, space, facilitator):
    created = invite(as_user(facilitator), space)
    assert created["max_uses"] == 1 and created["role"] == "member"


@pytest.mark.parametrize(("persona", "status"), [
    ("member", HTTPStatus.FORBIDDEN), ("admin", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_only_facilitators_create_and_list_invitations(app, as_user, space, persona, status,
                                                       request):
    client = as_user(request.getfixturevalue(persona))
    assert client.post(f"/api/v1/spaces/{space.id}/invitations", json={}).status_code == status
    assert client.get(f"/api/v1/spaces/{space.id}/invitations").status_code == status
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"role": "admin"}, "role"), ({"max_uses": 0}, "max_uses"), ({"max_uses": 1001}, "max_uses"),
    ({"expires_in_hours": 0}, "expires_in_hours"), ({"expires_in_hours": 10**6},
                                                    "expires_in_hours"),
    ({"max_uses": "many"}, "max_uses"), ({"token": "mine"}, "token")])
def test_bad_invitation_fields_are_named(app, as_user, space, facilitator, body, field):
    response = as_user(facilitator).post(f"/api/v1/spaces/{space.id}/invitations", json=body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_accepting_makes_a_member_with_the_invitations_role_and_counts_the_use(
        app, as_user, space, facilitator, outsider):
    created = invite(as_user(facilitator), space, role="facilitator", max_uses=2)
    response = accept(as_user(outsider), created["token"], pseudonym="  Guide   Dog ")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["role"] == "facilitator"
    membership = membership_of(outsider, space)
    assert membership.role == Role.FACILITATOR
    assert membership.pseudonym == "Guide Dog" and membership.pseudonym_key == "guide dog"
    assert db.session.get(Invitation, created["id"]).uses == 1
    (row,) = audit_rows("membership:join")
    assert row.target_id == outsider.id and row.data["invitation_id"] == created["id"]


def test_an_active_member_accepting_again_is_not_counted(app, as_user, space, facilitator,
                                                         member):
    created = invite(as_user(facilitator), space)
    response = accept(as_user(member), created["token"], pseudonym="Different")
    assert response.status_code == HTTPStatus.OK
    assert response.json["pseudonym"] == "Robin"
    assert db.session.get(Invitation, created["id"]).uses == 0
    assert audit_rows("membership:join") == []


def test_a_removed_member_is_made_active_again(app, as_user, space, facilitator, member):
    membership = membership_of(member, space)
    membership.state = MembershipState.REMOVED
    membership.ended_at = utcnow()
    db.session.commit()
    created = invite(as_user(facilitator), space)
    response = accept(as_user(member), created["token"], pseudonym="Robin")
    assert response.status_code == HTTPStatus.CREATED
    membership = membership_of(member, space)
    assert membership.state == MembershipState.ACTIVE and membership.ended_at is None
    assert membership.pseudonym == "Robin"


def _expired(inv: Invitation) -> None:
    inv.expires_at = utcnow() - timedelta(minutes=1)


def _used_up(inv: Invitation) -> None:
    inv.uses = inv.max_uses


def _revoked(inv: Invitation) -> None:
    inv.revoked_at = utcnow()


@pytest.mark.parametrize(("spoil", "words"), [
    (_expired, "expired"), (_used_up, "already been used"), (_revoked, "withdrawn")])
def test_a_spoiled_invitation_answers_404_invitation_invalid_and_writes_nothing(
        app, as_user, space, facilitator, outsider, spoil, words):
    created = invite(as_user(facilitator), space)
    spoil(db.session.get(Invitation, created["id"]))
    db.session.commit()
    uses_before = db.session.get(Invitation, created["id"]).uses
    response = accept(as_user(outsider), created["token"], pseudonym="Newbie")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json["error"]["code"] == "invitation_invalid"
    assert words in response.json["error"]["message"]
    assert membership_of(outsider, space) is None
    assert db.session.get(Invitation, created["id"]).uses == uses_before
    assert audit_rows("membership:join") == []


@pytest.mark.parametrize("token", ["not-a-token", "x" * 500])
def test_an_unknown_token_answers_404_invitation_invalid(app, as_user, outsider, token):
    response = accept(as_user(outsider), token)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json["error"]["code"] == "invitation_invalid"


def test_the_last_use_goes_to_one_person_only(app, as_user, space, facilitator, outsider):
    created = invite(as_user(facilitator), space, max_uses=1)
    assert accept(as_user(outsider), created["token"]).status_code == HTTPStatus.CREATED
    late = make_user()
    response = accept(as_user(late), created["token"])
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert membership_of(late, space) is None


def test_a_pseudonym_taken_in_the_space_is_refused_case_insensitively(
        app, as_user, space, facilitator, outsider):
    created = invite(as_user(facilitator), space)
    response = accept(as_user(outsider), created["token"], pseudonym="rOBIN")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json["error"]["code"] == "pseudonym_taken"
    assert "pseudonym" in response.json["error"]["fields"]
    assert membership_of(outsider, space) is None
    assert db.session.get(Invitation, created["id"]).uses == 0


def test_the_same_pseudonym_may_be_used_in_another_space(app, as_user, space, other_space,
                                                         member, outsider):
    created = invite(as_user(outsider), other_space)
    response = accept(as_user(member), created["token"], pseudonym="Robin")
    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.parametrize(("pseudonym", "words"), [
    (None, "choose a pseudonym"), ("", "choose a pseudonym"), ("   ", "choose a pseudonym"),
    ("a", "2 to 40"), ("a" * 41, "2 to 40"), ("<script>", "letters, digits"),
    ("otto@example.org", "e-mail"), ("OTTO", "e-mail")])
def test_pseudonym_rules_in_a_space_that_requires_them(app, as_user, facilitator, outsider,
                                                       pseudonym, words):
    space = make_space(name="Masks", facilitators=[facilitator],
                       anonymity=Anonymity.PSEUDONYMS_REQUIRED)
    created = invite(as_user(facilitator), space)
    body = {} if pseudonym is None else {"pseudonym": pseudonym}
    response = accept(as_user(outsider), created["token"], **body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert words in response.json["error"]["fields"]["pseudonym"]
    assert membership_of(outsider, space) is None


def test_letters_of_any_script_and_dots_are_fine(app, as_user, facilitator, outsider):
    space = make_space(name="Masks", facilitators=[facilitator],
                       anonymity=Anonymity.PSEUDONYMS_REQUIRED)
    created = invite(as_user(facilitator), space)
    response = accept(as_user(outsider), created["token"], pseudonym="Søren_K.-2")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["pseudonym"] == "Søren_K.-2"


def test_a_pseudonym_is_optional_where_allowed(app, as_user, space, facilitator, outsider):
    created = invite(as_user(facilitator), space)
    response = accept(as_user(outsider), created["token"])
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["pseudonym"] is None


def test_real_name_spaces_take_no_pseudonym(app, as_user, facilitator, outsider):
    space = make_space(name="Open faces", facilitators=[facilitator],
                       anonymity=Anonymity.REAL_NAMES)
    created = invite(as_user(facilitator), space)
    refused = accept(as_user(outsider), created["token"], pseudonym="Hidden")
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "pseudonym" in refused.json["error"]["fields"]
    response = accept(as_user(outsider), created["token"])
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["pseudonym"] is None


def test_an_oversized_or_malformed_accept_body_is_refused(app, as_user, space, facilitator,
                                                          outsider):
    created = invite(as_user(facilitator), space)
    client = as_user(outsider)
    assert accept(client, created["token"], pseudonym="x" * 5000).status_code == \
        HTTPStatus.UNPROCESSABLE_ENTITY
    broken = client.post(f"/api/v1/invitations/{created['token']}/accept", data="{",
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == HTTPStatus.BAD_REQUEST
    assert broken.json["error"]["code"] == "malformed"
    assert membership_of(outsider, space) is None


def test_accepting_needs_a_signed_in_user(client, app, as_user, space, facilitator):
    created = invite(as_user(facilitator), space)
    assert accept(client, created["token"]).status_code == HTTPStatus.UNAUTHORIZED


def test_a_facilitator_lists_and_revokes_invitations(app, as_user, space, facilitator,
                                                     outsider):
    client = as_user(facilitator)
    created = invite(client, space)
    listed = client.get(f"/api/v1/spaces/{space.id}/invitations").json["items"]
    assert [(i["id"], i["usable"]) for i in listed] == [(created["id"], True)]
    assert "token" not in listed[0]
    response = client.delete(f"/api/v1/spaces/{space.id}/invitations/{created['id']}")
    assert response.status_code == HTTPStatus.NO_CONTENT
    client.delete(f"/api/v1/spaces/{space.id}/invitations/{created['id']}")
    assert len(audit_rows("invitation:revoke")) == 1
    assert accept(as_user(outsider), created["token"]).status_code == HTTPStatus.NOT_FOUND


def test_a_member_cannot_revoke_and_space_b_cannot_reach_space_a_invitations(
        app, as_user, space, other_space, facilitator, member, outsider):
    created = invite(as_user(facilitator), space)
    url_a = f"/api/v1/spaces/{space.id}/invitations/{created['id']}"
    assert as_user(member).delete(url_a).status_code == HTTPStatus.FORBIDDEN
    # The outsider facilitates space B; space A's invitation is not found through B.
    url_b = f"/api/v1/spaces/{other_space.id}/invitations/{created['id']}"
    assert as_user(outsider).delete(url_b).status_code == HTTPStatus.NOT_FOUND
    assert db.session.get(Invitation, created["id"]).revoked_at is None
