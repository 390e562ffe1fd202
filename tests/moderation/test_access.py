"""A member cannot reach any queue, log, sanction or rule endpoint: 403 in their own space,
404 for anything looked up by id. Every moderation endpoint of the URL map is listed."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from community.extensions import db
from community.moderation.models import SafeguardingContact, WatchedAction, WatchedWord
from community.spaces.models import ModerationPolicy
from tests.moderation.conftest import item_of, reply

FB, NF = HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND

# endpoint -> (method, path, body, what a member gets)
MEMBER: dict[str, list[tuple[str, str, dict | None, int]]] = {
    "moderation.space_queue": [("GET", "/spaces/{space}/queue", None, FB)],
    "moderation.queue": [("GET", "/moderation/queue", None, FB)],
    "moderation.item": [("GET", "/queue/{item}", None, NF)],
    "moderation.act": [("POST", f"/queue/{{item}}/{a}", {"version": "1", "reason": "x",
                                                         "message": "x", "hours": "1"}, NF)
                       for a in ("claim", "unclaim", "approve", "reject", "remove", "warn",
                                 "mute", "remove-member", "suspend")],
    "moderation.space_log": [("GET", "/spaces/{space}/moderation-log", None, FB)],
    "moderation.log": [("GET", "/moderation/log", None, FB)],
    "moderation.log_csv": [("GET", "/moderation/log.csv", None, FB)],
    "moderation.settings": [("GET", "/spaces/{space}/moderation", None, FB),
                            ("POST", "/spaces/{space}/moderation", {"flag_threshold": "1"}, FB)],
    "moderation.add_space_word": [("POST", "/spaces/{space}/watched-words",
                                   {"pattern": "xx", "action": "hold"}, FB)],
    "moderation.delete_word": [("POST", "/watched-words/{word}/delete", None, NF)],
    "moderation.site_words": [("GET", "/moderation/watched-words", None, FB),
                              ("POST", "/moderation/watched-words",
                               {"pattern": "xx", "action": "hold"}, FB)],
    "moderation.safeguarding": [("GET", "/moderation/safeguarding", None, FB),
                                ("POST", "/moderation/safeguarding", {"email": "x@y.z"}, FB)],
    "moderation.remove_contact": [("POST", "/moderation/safeguarding/{contact}/remove", None,
                                   FB)],
    "api_moderation.space_queue": [("GET", "/api/v1/spaces/{space}/queue", None, FB)],
    "api_moderation.site_queue": [("GET", "/api/v1/queue", None, FB)],
    "api_moderation.get_item": [("GET", "/api/v1/queue/{item}", None, NF)],
    **{f"api_moderation.{name}": [("POST", f"/api/v1/queue/{{item}}/{path}", body, NF)]
       for name, path, body in (
           ("claim_item", "claim", {"version": 1}), ("unclaim_item", "unclaim", {"version": 1}),
           ("approve_item", "approve", {"version": 1}),
           ("reject_item", "reject", {"version": 1, "reason": "x"}),
           ("remove_item", "remove", {"version": 1, "reason": "x"}),
           ("warn_author", "warn", {"message": "x"}),
           ("mute_author", "mute", {"hours": 1, "reason": "x"}),
           ("remove_author", "remove-member", {"reason": "x"}),
           ("suspend_author", "suspend", {"reason": "x"}))},
    "api_moderation.mute_member": [("POST", "/api/v1/spaces/{space}/members/{other}/mute",
                                    {"hours": 1, "reason": "x"}, FB)],
    "api_moderation.unmute_member": [("DELETE", "/api/v1/spaces/{space}/members/{other}/mute",
                                      None, FB)],
    "api_moderation.space_log": [("GET", "/api/v1/spaces/{space}/moderation-log", None, FB)],
    "api_moderation.site_log": [("GET", "/api/v1/moderation-log", None, FB)],
    "api_moderation.space_watched_words": [("GET", "/api/v1/spaces/{space}/watched-words",
                                            None, FB)],
    "api_moderation.add_space_watched_word": [("POST", "/api/v1/spaces/{space}/watched-words",
                                               {"pattern": "xx", "action": "hold"}, FB)],
    "api_moderation.site_watched_words": [("GET", "/api/v1/watched-words", None, FB)],
    "api_moderation.add_site_watched_word": [("POST", "/api/v1/watched-words",
                                              {"pattern": "xx", "action": "hold"}, FB)],
    "api_moderation.delete_watched_word": [("DELETE", "/api/v1/watched-words/{word}", None, NF)],
    "api_moderation.get_settings": [("GET", "/api/v1/spaces/{space}/moderation", None, FB)],
    "api_moderation.update_settings": [("PATCH", "/api/v1/spaces/{space}/moderation",
                                        {"flag_threshold": 1}, FB)],
}
# What members may use: flagging and reading their own notices.
MEMBERS_MAY = {"moderation.flag", "moderation.notices", "moderation.read_notices",
               "api_moderation.flag_post"}


def test_every_moderation_endpoint_is_checked_here(app):
    found = {rule.endpoint for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] in ("moderation", "api_moderation")}
    assert found - MEMBERS_MAY == set(MEMBER)


@pytest.fixture
def world(space, thread, member, other_member, facilitator, admin):  # type: ignore[no-untyped-def]
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    item = item_of(reply(thread, other_member, "Held words"))
    word = WatchedWord(space_id=space.id, pattern="darn", action=WatchedAction.CENSOR)
    db.session.add_all([word, SafeguardingContact(user_id=admin.id)])
    db.session.commit()
    return {"space": space.id, "item": item.id, "word": word.id, "other": other_member.id,
            "contact": admin.id}


CASES = [(endpoint, i) for endpoint, rows in MEMBER.items() for i in range(len(rows))]


@pytest.mark.parametrize(("endpoint", "index"), CASES,
                         ids=[f"{e}-{i}" for e, i in CASES])
def test_a_member_is_refused(world, member, outsider, as_user, endpoint, index):
    method, path, body, expected = MEMBER[endpoint][index]
    path = path.format(**world)
    api = path.startswith("/api/")
    kwargs = {"json": body} if api else {"data": body}
    response = as_user(member).open(path, method=method, **kwargs)
    assert response.status_code == expected, (response.status_code, response.data[:200])
    # someone outside the space learns nothing either
    stranger = as_user(outsider).open(path, method=method, **kwargs)
    assert stranger.status_code in (FB, NF)
    if "{space}" in MEMBER[endpoint][index][1]:
        assert stranger.status_code == NF
