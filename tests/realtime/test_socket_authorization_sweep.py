"""Every Socket.IO handler, for every role: who may connect and what each event answers.

The table must name every handler the Socket.IO server has registered, in every
namespace; a new handler without a row fails `test_every_socket_handler_has_a_row`
(the sockets' counterpart of tests/test_authorization_sweep.py). Each row says what each
persona gets, signed in by session cookie and, separately, by API token:

- "refused": the connection itself is refused, so no event reaches a handler;
- "ok": connected (connect), gone from the delivery manager (disconnect), or an
  acknowledgement `{"ok": true, ...}`;
- any other string: an error acknowledgement with exactly that code.

Personas as in the HTTP sweep: `anon` (no session, or a token that is not one),
`outsider` (a member of another space only), `member` and `facilitator` of the space,
`admin` (a site admin who is not in the space).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from community.extensions import db
from community.forums import actions as forum_actions
from community.realtime.server import manager_of, socketio_of
from community.spaces.queries import get_membership
from tests import factories

ROLES = ("anon", "outsider", "member", "facilitator", "admin")
CREDENTIALS = ("session", "token")
OK, REFUSED = "ok", "refused"
NOT_FOUND = "not_found"


def signed_in(**over: str) -> dict[str, str]:
    return {"anon": REFUSED, "outsider": OK, "member": OK, "facilitator": OK, "admin": OK,
            **over}


def content(**over: str) -> dict[str, str]:
    """A space's content: only its members and facilitators; site admins outside it, too,
    get the same not_found as for a space that does not exist."""
    return signed_in(**{"outsider": NOT_FOUND, "admin": NOT_FOUND, **over})


@dataclass
class Row:
    expect: dict[str, str]
    data: dict[str, Any] | None = None  # "{space}" / "{thread}" are filled from the world
    subscribe_first: bool = False  # typing needs the caller subscribed to the space


# (namespace, event) -> row
TABLE: dict[tuple[str, str], Row] = {
    ("/", "connect"): Row(signed_in()),
    ("/", "disconnect"): Row(signed_in()),
    ("/", "subscribe"): Row(content(), {"space_id": "{space}", "last_event_id": None}),
    # Touches only the caller's own subscription, so anyone connected may send it.
    ("/", "unsubscribe"): Row(signed_in(), {"space_id": "{space}"}),
    ("/", "typing"): Row(content(), {"thread_id": "{thread}"}, subscribe_first=True),
    ("/", "show_presence"): Row(content(), {"space_id": "{space}", "visible": False}),
}


def registered_handlers(app: Flask) -> set[tuple[str, str]]:
    """(namespace, event) for every handler the app's Socket.IO server would call."""
    server = socketio_of(app).server
    found = {(namespace, event) for namespace, handlers in server.handlers.items()
             for event in handlers}
    # class-based namespaces register elsewhere; each of their on_* methods is a handler
    for namespace, handler in server.namespace_handlers.items():
        found |= {(namespace, name[3:]) for name in dir(handler)
                  if name.startswith("on_") and callable(getattr(handler, name))}
    return found


def test_every_socket_handler_has_a_row(app):
    missing = registered_handlers(app) - set(TABLE)
    assert not missing, f"socket handlers without an authorization row: {sorted(missing)}"
    stale = set(TABLE) - registered_handlers(app)
    assert not stale, f"rows for socket handlers that no longer exist: {sorted(stale)}"


def test_every_socket_row_names_every_role():
    for key, row in TABLE.items():
        assert set(row.expect) == set(ROLES), key


def build_world(facilitator, member, other_member, outsider, admin) -> dict[str, int]:
    """A space with a thread; the outsider belongs to another space; the admin to none."""
    space = factories.make_space(name="Next steps", facilitators=[facilitator],
                                 members=[(member, "Robin"), (other_member, "Kit")])
    factories.make_space(name="Elsewhere", members=[(outsider, "Otto")], accepted_by=[admin])
    thread, _post = forum_actions.check_create_thread(
        space, get_membership(other_member, space.id), title="Where do I start?",
        body="Any advice is welcome.")
    db.session.commit()
    return {"space": space.id, "thread": thread.id}


def fill(data: dict[str, Any] | None, world: dict[str, int]) -> dict[str, Any] | None:
    if data is None:
        return None
    return {k: world[v[1:-1]] if isinstance(v, str) and v[1:-1] in world else v
            for k, v in data.items()}


def check_answer(answer: Any, expected: str) -> None:
    assert isinstance(answer, dict), answer
    if expected == OK:
        assert answer.get("ok") is True, answer
    else:
        assert answer.get("ok") is False and answer["error"]["code"] == expected, answer
        assert answer["error"]["message"], answer


CASES = [(key, role, credential) for key in TABLE for role in ROLES
         for credential in CREDENTIALS]


@pytest.mark.parametrize(("key", "role", "credential"), CASES,
                         ids=[f"{k[1]}-{r}-{c}" for k, r, c in CASES])
def test_role_gets_what_the_socket_table_says(app, sockets, key, role, credential,
                                              facilitator, member, other_member, outsider,
                                              admin):
    world = build_world(facilitator, member, other_member, outsider, admin)
    people = {"outsider": outsider, "member": member, "facilitator": facilitator,
              "admin": admin}
    row, event = TABLE[key], key[1]
    expected = row.expect[role]
    if role == "anon":
        sock = sockets(token="cc_not-a-token") if credential == "token" else sockets()
    elif credential == "token":
        sock = sockets(token=factories.make_token(user=people[role]))
    else:
        sock = sockets(user=people[role])
    manager = manager_of(app)
    sid = manager.sid_from_eio_sid(sock.client.eio_sid, key[0])

    if expected == REFUSED:
        assert not sock.connected and sid is None
        return
    assert sock.connected and manager.connections[sid].user_id == people[role].id
    if event == "connect":
        assert expected == OK
        return
    if event == "disconnect":
        assert expected == OK
        sock.disconnect()
        assert not sock.connected and sid not in manager.connections
        return
    if row.subscribe_first:
        sock.subscribe(world["space"])
    check_answer(sock.emit(event, fill(row.data, world)), expected)
