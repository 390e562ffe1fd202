"""The participation overview and its server-drawn chart."""

from __future__ import annotations

from http import HTTPStatus

from community.extensions import db
from community.forums import actions as forum_actions
from community.spaces.queries import get_membership


def test_the_overview_counts_posts_replies_and_pending_items(space, as_user, facilitator,
                                                           member, other_member):
    thread, _post = forum_actions.check_create_thread(
        space, get_membership(member, space.id), title="Values", body="What matters?")
    forum_actions.check_create_post(thread, get_membership(other_member, space.id),
                                    body="Freedom")
    forum_actions.check_create_post(thread, get_membership(other_member, space.id),
                                    body="My number is 20 12 34 56, call me")
    db.session.commit()
    response = as_user(facilitator).get(f"/api/v1/spaces/{space.id}/participation")
    assert response.status_code == HTTPStatus.OK
    rows = {r["name"]: r for r in response.json["members"]}
    assert rows["Robin"]["posts"] == 1 and rows["Robin"]["replies_to_others"] == 0
    assert rows["Kit"]["replies_to_others"] == 1
    assert rows["Kit"]["pending"] == 1
    assert rows["Frida Facilitator"]["quiet"] is True
    assert sum(w["posts"] for w in response.json["weeks"]) == 3
    assert as_user(member).get(f"/api/v1/spaces/{space.id}/participation").status_code \
        == HTTPStatus.FORBIDDEN
    assert as_user(facilitator).get(f"/api/v1/spaces/{space.id}/participation",
                                    query_string={"quiet_days": 0}).status_code \
        == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_page_draws_an_accessible_svg_with_a_table(space, as_user, facilitator, member):
    page = as_user(facilitator).get(f"/spaces/{space.id}/participation")
    assert page.status_code == HTTPStatus.OK
    html = page.data.decode()
    assert "<svg" in html and "<title id=" in html and "<desc id=" in html
    assert 'role="img"' in html and "<table>" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert as_user(member).get(f"/spaces/{space.id}/participation").status_code \
        == HTTPStatus.FORBIDDEN
