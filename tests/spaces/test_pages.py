"""Space pages: who may open each one, what it shows, and that forms report errors in place."""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest

from community.extensions import db
from community.spaces.models import (
    Anonymity,
    Invitation,
    JoinPolicy,
    JoinRequest,
    JoinRequestState,
    MembershipState,
    Role,
    Space,
)
from tests.factories import make_agreement, make_space
from tests.spaces.conftest import audit_rows, membership_of


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def new_invitation(as_user, facilitator, space, **body) -> str:  # type: ignore[no-untyped-def]
    return as_user(facilitator).post(f"/api/v1/spaces/{space.id}/invitations",
                                     json=body).json["token"]


# --- the list and the space page ----------------------------------------------------------------

def test_the_index_lists_the_callers_spaces_with_links(app, as_user, space, other_space, member):
    page = text(as_user(member).get("/"))
    assert f'href="/spaces/{space.id}"' in page
    assert "Next steps" in page and "Elsewhere" not in page
    assert "Create a space" not in page


def test_admins_see_every_space_and_the_create_link(app, as_user, space, other_space, admin):
    page = text(as_user(admin).get("/"))
    assert "Next steps" in page and "Elsewhere" in page
    assert 'href="/spaces/new"' in page


def test_signed_out_visitors_are_sent_to_sign_in(client, app, space):
    for url in ("/", f"/spaces/{space.id}", f"/spaces/{space.id}/members",
                f"/spaces/{space.id}/settings", f"/spaces/{space.id}/join"):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response.location.startswith("/sign-in")


def test_the_space_page_shows_name_purpose_role_and_member_links(app, as_user, space, member):
    response = as_user(member).get(f"/spaces/{space.id}")
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "Next steps" in page and "Exploring careers together." in page
    assert "Member" in page and "Robin" in page
    assert f"/spaces/{space.id}/members" in page
    assert f"/agreements/spaces/{space.id}" in page
    assert f"/spaces/{space.id}/settings" not in page
    assert f"/spaces/{space.id}/invitations" not in page


def test_facilitators_see_management_links(app, as_user, space, facilitator):
    page = text(as_user(facilitator).get(f"/spaces/{space.id}"))
    for part in ("settings", "invitations", "join-requests"):
        assert f"/spaces/{space.id}/{part}" in page


def test_the_space_page_is_behind_the_agreement(app, as_user, space, member):
    make_agreement(space=space, title="Version 2")
    response = as_user(member).get(f"/spaces/{space.id}")
    assert response.status_code == HTTPStatus.FOUND
    assert response.location.startswith(f"/agreements/spaces/{space.id}")


def test_an_admin_outside_the_space_sees_settings_but_no_content(app, as_user, space, admin):
    response = as_user(admin).get(f"/spaces/{space.id}")
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "site admin" in page and f"/spaces/{space.id}/facilitators" in page
    assert as_user(admin).get(f"/spaces/{space.id}/members").status_code == HTTPStatus.FORBIDDEN


def test_a_member_of_space_a_gets_404_for_space_b_pages(app, as_user, space, other_space,
                                                        member):
    client = as_user(member)
    b = other_space.id
    for url in (f"/spaces/{b}", f"/spaces/{b}/members", f"/spaces/{b}/settings",
                f"/spaces/{b}/invitations", f"/spaces/{b}/join-requests",
                f"/spaces/{b}/facilitators", f"/spaces/{b}/join", "/spaces/999999"):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    response = client.post(f"/spaces/{b}/members/{member.id}/remove")
    assert response.status_code == HTTPStatus.NOT_FOUND


# --- creating and configuring -------------------------------------------------------------------

SETTINGS = {"name": "Graduates", "purpose": "After the degree", "join_policy": "invite",
            "anonymity": "real_names", "moderation_policy": "post", "retention_days": ""}


def test_an_admin_creates_a_space_on_the_page(app, as_user, admin):
    client = as_user(admin)
    assert client.get("/spaces/new").status_code == HTTPStatus.OK
    response = client.post("/spaces/new", data=SETTINGS)
    assert response.status_code == HTTPStatus.FOUND
    space = db.session.scalar(db.select(Space))
    assert space.slug == "graduates" and space.retention_days is None
    assert response.location == f"/spaces/{space.id}/facilitators"
    assert len(audit_rows("space:create")) == 1


@pytest.mark.parametrize("persona", ["facilitator", "member"])
def test_others_cannot_open_the_create_page(app, as_user, space, persona, request):
    client = as_user(request.getfixturevalue(persona))
    assert client.get("/spaces/new").status_code == HTTPStatus.FORBIDDEN
    assert client.post("/spaces/new", data=SETTINGS).status_code == HTTPStatus.FORBIDDEN
    assert db.session.scalar(db.select(db.func.count(Space.id))) == 1


def test_create_page_errors_are_shown_next_to_the_field(app, as_user, admin):
    response = as_user(admin).post("/spaces/new", data={**SETTINGS, "name": "   "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert re.search(r'id="name-error"', text(response))
    assert db.session.scalar(db.select(db.func.count(Space.id))) == 0


def test_a_facilitator_saves_settings_on_the_page(app, as_user, space, facilitator):
    client = as_user(facilitator)
    page = client.get(f"/spaces/{space.id}/settings")
    assert page.status_code == HTTPStatus.OK
    assert 'value="Next steps"' in text(page)
    response = client.post(f"/spaces/{space.id}/settings",
                           data={**SETTINGS, "name": "Next steps", "retention_days": "30"})
    assert response.status_code == HTTPStatus.FOUND
    db.session.refresh(space)
    assert space.retention_days == 30 and space.anonymity == Anonymity.REAL_NAMES
    assert audit_rows("space:update")[0].data["fields"] == ["anonymity", "purpose",
                                                            "retention_days"]


def test_settings_errors_are_shown_in_place_and_nothing_changes(app, as_user, space,
                                                                facilitator):
    response = as_user(facilitator).post(f"/spaces/{space.id}/settings",
                                         data={**SETTINGS, "retention_days": "0"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="retention_days-error"' in text(response)
    db.session.refresh(space)
    assert space.name == "Next steps"


@pytest.mark.parametrize(("persona", "status"), [
    ("member", HTTPStatus.FORBIDDEN), ("admin", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_only_facilitators_open_settings_invitations_and_requests(app, as_user, space, persona,
                                                                  status, request):
    client = as_user(request.getfixturevalue(persona))
    for part in ("settings", "invitations", "join-requests"):
        assert client.get(f"/spaces/{space.id}/{part}").status_code == status, part
    assert client.post(f"/spaces/{space.id}/settings", data=SETTINGS).status_code == status
    db.session.refresh(space)
    assert space.name == "Next steps"


def test_an_admin_appoints_a_facilitator_by_e_mail(app, as_user, space, admin, other_member):
    client = as_user(admin)
    assert client.get(f"/spaces/{space.id}/facilitators").status_code == HTTPStatus.OK
    response = client.post(f"/spaces/{space.id}/facilitators", data={"email": "OLGA@example.org"})
    assert response.status_code == HTTPStatus.FOUND
    assert membership_of(other_member, space).role == Role.FACILITATOR
    unknown = client.post(f"/spaces/{space.id}/facilitators", data={"email": "no@example.org"})
    assert unknown.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="email-error"' in text(unknown)


def test_facilitators_cannot_appoint_on_the_page(app, as_user, space, facilitator, member):
    response = as_user(facilitator).post(f"/spaces/{space.id}/facilitators",
                                         data={"email": member.email})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(member, space).role == Role.MEMBER


# --- roster, removing, leaving ------------------------------------------------------------------

def test_members_see_pseudonyms_on_the_roster_page(app, as_user, space, member):
    page = text(as_user(member).get(f"/spaces/{space.id}/members"))
    assert "Kit" in page and "Robin" in page
    assert "Olga" not in page and "Remove" not in page


def test_facilitators_remove_from_the_roster_page_which_hides_names_behind_pseudonyms(
        app, as_user, space, facilitator, other_member):
    client = as_user(facilitator)
    page = text(client.get(f"/spaces/{space.id}/members"))
    assert "Olga Other" not in page and "Remove Kit" in page
    response = client.post(f"/spaces/{space.id}/members/{other_member.id}/remove")
    assert response.status_code == HTTPStatus.FOUND
    assert membership_of(other_member, space).state == MembershipState.REMOVED
    assert len(audit_rows("membership:remove")) == 1
    assert as_user(other_member).get(f"/spaces/{space.id}").status_code == HTTPStatus.NOT_FOUND


def test_a_member_leaves_from_the_space_page(app, as_user, space, member):
    response = as_user(member).post(f"/spaces/{space.id}/members/{member.id}/remove")
    assert response.status_code == HTTPStatus.FOUND and response.location == "/"
    assert membership_of(member, space).state == MembershipState.LEFT


def test_the_last_facilitator_is_told_why_they_cannot_leave(app, as_user, space, facilitator):
    client = as_user(facilitator)
    response = client.post(f"/spaces/{space.id}/members/{facilitator.id}/remove",
                           follow_redirects=True)
    assert "at least one facilitator" in text(response)
    assert membership_of(facilitator, space).is_active


def test_a_member_cannot_remove_another_on_the_page(app, as_user, space, member, other_member):
    response = as_user(member).post(f"/spaces/{space.id}/members/{other_member.id}/remove")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(other_member, space).is_active


# --- invitations --------------------------------------------------------------------------------

def test_a_facilitator_creates_lists_and_withdraws_links_on_the_page(app, as_user, space,
                                                                     facilitator):
    client = as_user(facilitator)
    response = client.post(f"/spaces/{space.id}/invitations",
                           data={"role": "member", "max_uses": "5", "expires_in_hours": "48"})
    assert response.status_code == HTTPStatus.OK
    link = re.search(r"http://localhost/invitations/[\w-]+", text(response)).group(0)
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.max_uses == 5
    revoke = client.post(f"/spaces/{space.id}/invitations/{invitation.id}/revoke")
    assert revoke.status_code == HTTPStatus.FOUND
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    assert "withdrawn" in text(client.get(f"/spaces/{space.id}/invitations"))
    assert app.test_client().get(urlsplit(link).path).status_code == HTTPStatus.NOT_FOUND


def test_invitation_form_errors_are_shown_in_place(app, as_user, space, facilitator):
    response = as_user(facilitator).post(f"/spaces/{space.id}/invitations", data={
        "role": "member", "max_uses": "0", "expires_in_hours": "48"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="max_uses-error"' in text(response)
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_a_signed_out_visitor_is_offered_sign_in_and_sign_up_with_the_way_back(
        app, client, as_user, space, facilitator, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP", "invite")
    token = new_invitation(as_user, facilitator, space)
    page = text(client.get(f"/invitations/{token}"))
    assert "Next steps" in page
    hrefs = re.findall(r'href="(/sign-(?:in|up)[^"]*)"', page)
    sign_up = next(h for h in hrefs if h.startswith("/sign-up") and "invitation" in h)
    query = parse_qs(urlsplit(sign_up.replace("&amp;", "&")).query)
    assert query["invitation"] == [token]
    assert query["next"] == [f"/invitations/{token}"]
    assert any(h.startswith("/sign-in?next=") for h in hrefs)
    # Sign-up is invite-only, and the invitation opens it.
    assert client.get(sign_up.replace("&amp;", "&")).status_code == HTTPStatus.OK
    assert client.get("/sign-up").status_code == HTTPStatus.FORBIDDEN


def test_a_signed_in_user_joins_through_the_invitation_page(app, as_user, space, facilitator,
                                                            outsider):
    token = new_invitation(as_user, facilitator, space)
    client = as_user(outsider)
    assert 'name="pseudonym"' in text(client.get(f"/invitations/{token}"))
    response = client.post(f"/invitations/{token}", data={"pseudonym": "Explorer"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.location == f"/spaces/{space.id}"
    assert membership_of(outsider, space).pseudonym == "Explorer"
    # Not yet accepted the agreements: the space page sends them there.
    gate = client.get(f"/spaces/{space.id}")
    assert gate.status_code == HTTPStatus.FOUND and "/agreements/" in gate.location
    # Opening the link again as a member goes straight to the space.
    again = client.get(f"/invitations/{token}")
    assert again.status_code == HTTPStatus.FOUND and again.location == f"/spaces/{space.id}"


def test_a_pseudonym_clash_is_shown_next_to_the_field(app, as_user, space, facilitator,
                                                      outsider):
    token = new_invitation(as_user, facilitator, space)
    response = as_user(outsider).post(f"/invitations/{token}", data={"pseudonym": "kit"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="pseudonym-error"' in text(response) and "already uses" in text(response)
    assert membership_of(outsider, space) is None
    assert db.session.scalar(db.select(Invitation)).uses == 0


def test_a_required_pseudonym_missing_is_shown_next_to_the_field(app, as_user, facilitator,
                                                                 outsider):
    space = make_space(name="Masks", facilitators=[facilitator],
                       anonymity=Anonymity.PSEUDONYMS_REQUIRED)
    token = new_invitation(as_user, facilitator, space)
    response = as_user(outsider).post(f"/invitations/{token}", data={"pseudonym": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="pseudonym-error"' in text(response)
    assert membership_of(outsider, space) is None


def test_real_name_invitations_ask_no_pseudonym(app, as_user, facilitator, outsider):
    space = make_space(name="Faces", facilitators=[facilitator], anonymity=Anonymity.REAL_NAMES)
    token = new_invitation(as_user, facilitator, space)
    client = as_user(outsider)
    assert 'name="pseudonym"' not in text(client.get(f"/invitations/{token}"))
    assert client.post(f"/invitations/{token}", data={}).status_code == HTTPStatus.FOUND
    assert membership_of(outsider, space).pseudonym is None


def test_an_unknown_or_used_up_invitation_page_answers_404(app, client, as_user, space,
                                                           facilitator, outsider):
    assert client.get("/invitations/nonsense").status_code == HTTPStatus.NOT_FOUND
    token = new_invitation(as_user, facilitator, space)
    invitation = db.session.scalar(db.select(Invitation))
    invitation.uses = invitation.max_uses
    db.session.commit()
    response = as_user(outsider).post(f"/invitations/{token}", data={"pseudonym": "Explorer"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "already been used" in text(response)
    assert membership_of(outsider, space) is None


# --- join requests ------------------------------------------------------------------------------

@pytest.fixture
def open_space(app, facilitator):  # type: ignore[no-untyped-def]
    return make_space(name="Open door", facilitators=[facilitator],
                      join_policy=JoinPolicy.REQUEST)


def test_a_non_member_asks_to_join_on_the_page(app, as_user, open_space, outsider):
    client = as_user(outsider)
    page = client.get(f"/spaces/{open_space.id}/join")
    assert page.status_code == HTTPStatus.OK
    assert "Open door" in text(page) and "Exploring careers together." in text(page)
    response = client.post(f"/spaces/{open_space.id}/join",
                           data={"pseudonym": "Wanderer", "message": "Hello"})
    assert response.status_code == HTTPStatus.FOUND
    assert db.session.scalar(db.select(JoinRequest)).message == "Hello"
    assert "waiting for a facilitator" in text(client.get(f"/spaces/{open_space.id}/join"))


def test_join_page_errors_are_shown_in_place(app, as_user, open_space, outsider):
    response = as_user(outsider).post(f"/spaces/{open_space.id}/join",
                                      data={"pseudonym": "!!", "message": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="pseudonym-error"' in text(response)
    assert db.session.scalar(db.select(db.func.count(JoinRequest.id))) == 0


def test_a_member_opening_the_join_page_goes_to_the_space(app, as_user, open_space,
                                                          facilitator):
    response = as_user(facilitator).get(f"/spaces/{open_space.id}/join")
    assert response.status_code == HTTPStatus.FOUND
    assert response.location == f"/spaces/{open_space.id}"


def test_a_facilitator_approves_and_declines_on_the_page(app, as_user, open_space, facilitator,
                                                         outsider, other_member):
    as_user(outsider).post(f"/spaces/{open_space.id}/join", data={"pseudonym": "Wanderer"})
    as_user(other_member).post(f"/spaces/{open_space.id}/join", data={"pseudonym": "Drifter"})
    client = as_user(facilitator)
    page = text(client.get(f"/spaces/{open_space.id}/join-requests"))
    assert "Otto Outsider" in page and "Drifter" in page
    first, second = db.session.scalars(db.select(JoinRequest).order_by(JoinRequest.id))
    client.post(f"/spaces/{open_space.id}/join-requests/{first.id}/approve")
    client.post(f"/spaces/{open_space.id}/join-requests/{second.id}/decline")
    assert membership_of(outsider, open_space).is_active
    assert membership_of(other_member, open_space) is None
    db.session.expire_all()
    assert db.session.get(JoinRequest, second.id).state == JoinRequestState.DECLINED
    assert len(audit_rows("join_request:decide")) == 2


def test_members_cannot_decide_requests_on_the_page(app, as_user, open_space, outsider,
                                                    member, facilitator):
    as_user(outsider).post(f"/spaces/{open_space.id}/join", data={"pseudonym": "Wanderer"})
    request_row = db.session.scalar(db.select(JoinRequest))
    # `member` belongs to the fixture space, not to this one: the space stays hidden.
    response = as_user(member).post(
        f"/spaces/{open_space.id}/join-requests/{request_row.id}/approve")
    assert response.status_code == HTTPStatus.NOT_FOUND
    db.session.refresh(request_row)
    assert request_row.state == JoinRequestState.PENDING
