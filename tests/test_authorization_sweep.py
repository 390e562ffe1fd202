"""Every endpoint in the URL map, for every role: who may use it and who may not.

The table below must name every endpoint and method of the app; a new endpoint without a
row fails `test_every_endpoint_has_a_row`. Each row says what each persona gets:

- "ok": the request is served (2xx or a 3xx that is not a sign-in or agreement redirect);
- "login": pages redirect to sign-in, the API answers 401;
- an HTTPStatus: exactly that status.

Personas: `anon` (signed out), `outsider` (a member of another space only), `member` and
`facilitator` of the space (both have accepted every agreement), `admin` (a site admin who
is not in the space).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest

from community.database import utcnow
from community.extensions import db
from community.forums import actions as forum_actions
from community.forums.models import Notification
from community.security import hash_token
from community.spaces.models import Invitation, JoinPolicy, JoinRequest, Role
from community.spaces.queries import get_membership
from tests import factories

ROLES = ("anon", "outsider", "member", "facilitator", "admin")
OK, LOGIN = "ok", "login"
NF, FB = HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN


def everyone(**over: Any) -> dict[str, Any]:
    return {"anon": OK, "outsider": OK, "member": OK, "facilitator": OK, "admin": OK, **over}


def signed_in(**over: Any) -> dict[str, Any]:
    return everyone(**{"anon": LOGIN, **over})


def content(**over: Any) -> dict[str, Any]:
    """A space's content: members and facilitators; admins outside the space may not read."""
    return signed_in(**{"outsider": NF, "admin": FB, **over})


def managing(**over: Any) -> dict[str, Any]:
    """Facilitators only; members are refused, the rest cannot see the space."""
    return signed_in(**{"outsider": NF, "member": FB, "admin": FB, **over})


def forum(**over: Any) -> dict[str, Any]:
    """Forum content answers 404 to everyone outside the space, admins included."""
    return signed_in(**{"outsider": NF, "admin": NF, **over})


def admin_only(**over: Any) -> dict[str, Any]:
    return signed_in(**{"outsider": FB, "member": FB, "facilitator": FB, **over})


@dataclass
class Row:
    method: str
    path: str
    expect: dict[str, Any]
    json: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


# endpoint -> rows (one per method). Paths use the ids of the world built below.
TABLE: dict[str, list[Row]] = {
    # accounts
    "accounts.sign_in": [Row("GET", "/sign-in", everyone(outsider=OK)),
                         Row("POST", "/sign-in", everyone(anon=HTTPStatus.BAD_REQUEST),
                             form={"email": "x@example.org", "password": "nope"})],
    "accounts.sign_out": [Row("POST", "/sign-out", {r: HTTPStatus.FOUND for r in ROLES})],
    "accounts.sign_up": [Row("GET", "/sign-up", everyone()),
                         Row("POST", "/sign-up", everyone(), form={
                             "display_name": "New", "email": "new@example.org",
                             "password": "blue kayak morning tea"})],
    "accounts.profile": [Row("GET", "/profile", signed_in()),
                         Row("POST", "/profile", signed_in(),
                             form={"display_name": "Renamed", "locale": "en"})],
    "accounts.change_password": [Row("GET", "/profile/password", signed_in()),
                                 Row("POST", "/profile/password", signed_in(), form={
                                     "current_password": factories.PASSWORD,
                                     "new_password": "river stone lantern quiet"})],
    "accounts.tokens": [Row("GET", "/profile/tokens", signed_in()),
                        Row("POST", "/profile/tokens", signed_in(), form={"name": "x"})],
    "accounts.revoke_token": [Row("POST", "/profile/tokens/{token_id}/revoke",
                                  signed_in(outsider=NF, facilitator=NF, admin=NF))],
    "api_accounts.create_token": [Row("POST", "/api/v1/tokens", everyone(
        anon=HTTPStatus.UNAUTHORIZED, outsider=HTTPStatus.UNAUTHORIZED,
        member=HTTPStatus.UNAUTHORIZED, facilitator=HTTPStatus.UNAUTHORIZED,
        admin=HTTPStatus.UNAUTHORIZED), json={"email": "x@example.org", "password": "nope"})],
    "api_accounts.create_user": [Row("POST", "/api/v1/users", everyone(), json={
        "email": "new@example.org", "password": "blue kayak morning tea",
        "display_name": "New"})],
    "api_accounts.list_tokens": [Row("GET", "/api/v1/tokens", signed_in())],
    "api_accounts.revoke_token": [Row("DELETE", "/api/v1/tokens/{token_id}",
                                      signed_in(outsider=NF, facilitator=NF, admin=NF))],
    "api_accounts.me": [Row("GET", "/api/v1/me", signed_in())],
    "api_accounts.update_me": [Row("PATCH", "/api/v1/me", signed_in(),
                                   json={"display_name": "Renamed"})],
    # privacy (a wrong password: erasure itself is tested in tests/privacy)
    "privacy.data": [Row("GET", "/profile/data", signed_in()),
                     Row("POST", "/profile/data", signed_in())],
    "privacy.delete_account": [Row("GET", "/profile/delete", signed_in()),
                               Row("POST", "/profile/delete", signed_in(
                                   **{r: HTTPStatus.UNPROCESSABLE_ENTITY for r in ROLES[1:]}),
                                   form={"password": "wrong", "confirm": "y"})],
    "privacy.email_preferences": [Row("GET", "/profile/email", signed_in()),
                                  Row("POST", "/profile/email", signed_in(),
                                      form={"mentions": "y"})],
    "api_privacy.export_me": [Row("GET", "/api/v1/me/export", signed_in())],
    "api_privacy.erase_me": [Row("DELETE", "/api/v1/me", signed_in(
        **{r: HTTPStatus.UNPROCESSABLE_ENTITY for r in ROLES[1:]}), json={"password": "wrong"})],
    "api_privacy.get_email_preferences": [Row("GET", "/api/v1/me/email-preferences",
                                              signed_in())],
    "api_privacy.update_email_preferences": [Row("PATCH", "/api/v1/me/email-preferences",
                                                 signed_in(), json={"digest": False})],
    # admin
    "admin.index": [Row("GET", "/admin/", admin_only())],
    "admin.audit": [Row("GET", "/admin/audit", admin_only())],
    "admin.audit_csv": [Row("GET", "/admin/audit.csv", admin_only())],
    "admin.site_settings": [Row("GET", "/admin/settings", admin_only()),
                            Row("POST", "/admin/settings", admin_only(), form={
                                "default_anonymity": "pseudonyms_allowed", "signup": "open"})],
    "api_admin.get_settings": [Row("GET", "/api/v1/admin/settings", admin_only())],
    "api_admin.update_settings": [Row("PATCH", "/api/v1/admin/settings", admin_only(),
                                      json={"export_threads": True})],
    "admin.users": [Row("GET", "/admin/users", admin_only())],
    "admin.user": [Row("GET", "/admin/users/{member_id}", admin_only())],
    "admin.suspend": [Row("POST", "/admin/users/{member_id}/suspend",
                          admin_only(member=FB), form={"reason": "testing"})],
    "admin.unsuspend": [Row("POST", "/admin/users/{member_id}/unsuspend", admin_only())],
    "admin.set_admin": [Row("POST", "/admin/users/{member_id}/admin", admin_only(),
                            form={"is_admin": "1"})],
    "admin.site_agreement": [Row("GET", "/admin/agreement", admin_only()),
                             Row("POST", "/admin/agreement", admin_only(),
                                 form={"title": "Site rules v2", "body": "Be kind."})],
    "api_admin.get_user": [Row("GET", "/api/v1/admin/users/{member_id}", admin_only())],
    "api_admin.list_audit": [Row("GET", "/api/v1/admin/audit", admin_only())],
    "api_admin.list_users": [Row("GET", "/api/v1/admin/users", admin_only())],
    "api_admin.set_admin": [Row("PUT", "/api/v1/admin/users/{member_id}/admin", admin_only(),
                                json={"is_admin": True})],
    "api_admin.suspend_user": [Row("POST", "/api/v1/admin/users/{member_id}/suspend",
                                   admin_only(), json={"reason": "testing"})],
    "api_admin.unsuspend_user": [Row("POST", "/api/v1/admin/users/{member_id}/unsuspend",
                                     admin_only())],
    # agreements
    "agreements.site": [Row("GET", "/agreements/site", everyone()),
                        Row("POST", "/agreements/site", signed_in(), form={"version": "1"})],
    "agreements.site_versions": [Row("GET", "/agreements/site/versions", signed_in())],
    "agreements.site_version": [Row("GET", "/agreements/site/versions/1", signed_in())],
    "agreements.space": [Row("GET", "/agreements/spaces/{space}", content(admin=OK)),
                         Row("POST", "/agreements/spaces/{space}", content(admin=NF),
                             form={"version": "1"})],
    "agreements.space_versions": [Row("GET", "/agreements/spaces/{space}/versions",
                                      content(admin=OK))],
    "agreements.space_version": [Row("GET", "/agreements/spaces/{space}/versions/1",
                                     content(admin=OK))],
    "agreements.space_publish": [Row("GET", "/agreements/spaces/{space}/publish", managing()),
                                 Row("POST", "/agreements/spaces/{space}/publish", managing(),
                                     form={"title": "Our rules v2", "body": "Be kind."})],
    "agreements.space_acceptances": [Row("GET", "/agreements/spaces/{space}/acceptances",
                                         managing())],
    "api_agreements.site_agreement": [Row("GET", "/api/v1/agreements/site", signed_in())],
    "api_agreements.site_versions": [Row("GET", "/api/v1/agreements/site/versions",
                                         signed_in())],
    "api_agreements.site_version": [Row("GET", "/api/v1/agreements/site/versions/1",
                                        signed_in())],
    "api_agreements.publish_site_agreement": [Row("POST", "/api/v1/agreements/site",
                                                  admin_only(), json={"title": "Rules v2",
                                                                      "body": "Be kind."})],
    "api_agreements.accept_site_agreement": [Row("POST", "/api/v1/agreements/site/accept",
                                                 signed_in(), json={"version": 1})],
    "api_agreements.space_agreement": [Row("GET", "/api/v1/spaces/{space}/agreement",
                                           content(admin=OK))],
    "api_agreements.space_versions": [Row("GET", "/api/v1/spaces/{space}/agreement/versions",
                                          content(admin=OK))],
    "api_agreements.space_version": [Row("GET", "/api/v1/spaces/{space}/agreement/versions/1",
                                         content(admin=OK))],
    "api_agreements.publish_space_agreement": [Row("POST", "/api/v1/spaces/{space}/agreement",
                                                   managing(), json={"title": "Rules v2",
                                                                     "body": "Be kind."})],
    "api_agreements.accept_space_agreement": [Row(
        "POST", "/api/v1/spaces/{space}/agreement/accept", content(admin=NF),
        json={"version": 1})],
    "api_agreements.space_acceptances": [Row(
        "GET", "/api/v1/spaces/{space}/agreement/acceptances", managing())],
    # spaces
    "spaces.index": [Row("GET", "/", signed_in())],
    "spaces.create": [Row("GET", "/spaces/new", admin_only()),
                      Row("POST", "/spaces/new", admin_only(), form={
                          "name": "A new group", "purpose": "", "join_policy": "invite",
                          "anonymity": "pseudonyms_allowed", "moderation_policy": "post"})],
    "spaces.show": [Row("GET", "/spaces/{space}", content(admin=OK))],
    "spaces.settings": [Row("GET", "/spaces/{space}/settings", managing()),
                        Row("POST", "/spaces/{space}/settings", managing(), form={
                            "name": "Renamed", "purpose": "", "join_policy": "invite",
                            "anonymity": "pseudonyms_allowed", "moderation_policy": "post"})],
    "spaces.facilitators": [Row("GET", "/spaces/{space}/facilitators",
                                admin_only(outsider=NF)),
                            Row("POST", "/spaces/{space}/facilitators",
                                admin_only(outsider=NF),
                                form={"email": "olga@example.org"})],
    "spaces.members": [Row("GET", "/spaces/{space}/members", content())],
    # the site's default keeps identities hidden, so facilitators are refused too
    "spaces.reveal_identity": [Row("POST", "/spaces/{space}/members/{other_member_id}/identity",
                                   managing(facilitator=FB))],
    "spaces.remove_member": [Row("POST", "/spaces/{space}/members/{other_member_id}/remove",
                                 managing())],
    "spaces.invitations": [Row("GET", "/spaces/{space}/invitations", managing()),
                           Row("POST", "/spaces/{space}/invitations", managing(),
                               form={"role": "member", "max_uses": 1,
                                     "expires_in_hours": 24})],
    "spaces.revoke_invitation": [Row("POST",
                                     "/spaces/{space}/invitations/{invitation_id}/revoke",
                                     managing())],
    # Signed out, the invitation page offers sign-in and sign-up links instead of a form.
    "spaces.invitation": [Row("GET", "/invitations/{invitation_token}", everyone()),
                          Row("POST", "/invitations/{invitation_token}", everyone(),
                              form={"pseudonym": "Newcomer"})],
    "spaces.join": [Row("GET", "/spaces/{join_space}/join", signed_in(member=OK)),
                    Row("POST", "/spaces/{join_space}/join", signed_in(),
                        form={"pseudonym": "Asker", "message": "Hello"})],
    "spaces.join_requests": [Row("GET", "/spaces/{join_space}/join-requests", managing())],
    "spaces.decide_join_request": [Row(
        "POST", "/spaces/{join_space}/join-requests/{request_id}/approve", managing())],
    "api_spaces.list_spaces": [Row("GET", "/api/v1/spaces", signed_in())],
    "api_spaces.create_space": [Row("POST", "/api/v1/spaces", admin_only(), json={
        "name": "Via API", "purpose": "", "join_policy": "invite",
        "anonymity": "pseudonyms_allowed", "moderation_policy": "post",
        "retention_days": None})],
    "api_spaces.get_space": [Row("GET", "/api/v1/spaces/{space}", content(admin=OK))],
    "api_spaces.update_space": [Row("PATCH", "/api/v1/spaces/{space}", managing(),
                                    json={"name": "Renamed"})],
    "api_spaces.appoint_facilitator": [Row("POST", "/api/v1/spaces/{space}/facilitators",
                                           admin_only(outsider=NF),
                                           json={"user_id": "{other_member_id}"})],
    "api_spaces.create_invitation": [Row("POST", "/api/v1/spaces/{space}/invitations",
                                         managing(), json={"role": "member", "max_uses": 1,
                                                           "expires_in_hours": 24})],
    "api_spaces.list_invitations": [Row("GET", "/api/v1/spaces/{space}/invitations",
                                        managing())],
    "api_spaces.revoke_invitation": [Row(
        "DELETE", "/api/v1/spaces/{space}/invitations/{invitation_id}", managing())],
    "api_spaces.accept_invitation": [Row("POST", "/api/v1/invitations/{invitation_token}/accept",
                                         signed_in(), json={"pseudonym": "Newcomer"})],
    "api_spaces.list_members": [Row("GET", "/api/v1/spaces/{space}/members", content())],
    "api_spaces.reveal_identity": [Row(
        "POST", "/api/v1/spaces/{space}/members/{other_member_id}/identity",
        managing(facilitator=FB))],
    "api_spaces.remove_member": [Row("DELETE",
                                     "/api/v1/spaces/{space}/members/{other_member_id}",
                                     managing())],
    "api_spaces.request_to_join": [Row("POST", "/api/v1/spaces/{join_space}/join-requests",
                                       signed_in(member=HTTPStatus.CONFLICT,
                                                 facilitator=HTTPStatus.CONFLICT),
                                       json={"pseudonym": "Asker"})],
    "api_spaces.list_join_requests": [Row("GET", "/api/v1/spaces/{join_space}/join-requests",
                                          managing())],
    "api_spaces.approve_join_request": [Row(
        "POST", "/api/v1/spaces/{join_space}/join-requests/{request_id}/approve", managing())],
    "api_spaces.decline_join_request": [Row(
        "POST", "/api/v1/spaces/{join_space}/join-requests/{request_id}/decline", managing())],
    # forums: a thread's content hides itself with 404 from anyone who may not read the space,
    # site admins outside the space included.
    "forums.space_threads": [Row("GET", "/spaces/{space}/threads", forum())],
    "forums.new_thread": [Row("GET", "/spaces/{space}/threads/new", forum()),
                          Row("POST", "/spaces/{space}/threads/new", forum(),
                              form={"title": "A new thread", "body": "Hello all",
                                    "kind": "discussion"})],
    "forums.thread": [Row("GET", "/threads/{thread}", forum())],
    "forums.reply": [Row("POST", "/threads/{thread}/posts", forum(), form={"body": "Me too"})],
    "forums.thread_settings": [Row("POST", "/threads/{thread}/settings", forum(member=FB),
                                   form={"title": "Renamed thread", "pinned": "y"})],
    "forums.post": [Row("GET", "/posts/{post}", forum())],
    "forums.post_history": [Row("GET", "/posts/{post}/history", forum(member=FB))],
    "forums.edit_post": [Row("GET", "/posts/{post}/edit", forum()),
                         Row("POST", "/posts/{post}/edit", forum(),
                             form={"body": "Edited text", "reason": "typo"})],
    "forums.remove_post": [Row("GET", "/posts/{post}/remove", forum()),
                           Row("POST", "/posts/{post}/remove", forum(),
                               form={"reason": "mistake"})],
    # A member may look at their own posts; this row asks for the member's own.
    "forums.member_posts": [Row("GET", "/spaces/{space}/members/{member_membership}/posts",
                                forum())],
    "forums.search_space": [Row("GET", "/spaces/{space}/search?q=start", forum())],
    "forums.notifications_page": [Row("GET", "/notifications", signed_in())],
    "forums.open_notification": [Row("POST", "/notifications/{notification}/open",
                                     signed_in(outsider=NF, facilitator=NF, admin=NF))],
    "forums.read_all_notifications": [Row("POST", "/notifications/read", signed_in())],
    "api_forums.list_threads": [Row("GET", "/api/v1/spaces/{space}/threads", forum())],
    "api_forums.create_thread": [Row("POST", "/api/v1/spaces/{space}/threads", forum(),
                                     json={"title": "A new thread", "body": "Hello all"})],
    "api_forums.get_thread": [Row("GET", "/api/v1/threads/{thread}", forum())],
    "api_forums.update_thread": [Row("PATCH", "/api/v1/threads/{thread}", forum(member=FB),
                                     json={"pinned": True})],
    "api_forums.list_posts": [Row("GET", "/api/v1/threads/{thread}/posts", forum())],
    "api_forums.create_post": [Row("POST", "/api/v1/threads/{thread}/posts", forum(),
                                   json={"body": "Me too"})],
    "api_forums.get_post": [Row("GET", "/api/v1/posts/{post}", forum())],
    "api_forums.edit_post": [Row("PATCH", "/api/v1/posts/{post}", forum(),
                                 json={"body": "Edited text", "reason": "typo"})],
    "api_forums.remove_post": [Row("DELETE", "/api/v1/posts/{post}", forum())],
    "api_forums.list_revisions": [Row("GET", "/api/v1/posts/{post}/revisions", forum(member=FB))],
    "api_forums.mark_read": [Row("POST", "/api/v1/threads/{thread}/read", forum(),
                                 json={"post_id": "{post}"})],
    "api_forums.search_space": [Row("GET", "/api/v1/spaces/{space}/search?q=start",
                                    forum())],
    "api_forums.list_events": [Row("GET", "/api/v1/spaces/{space}/events?after=0", forum())],
    "api_forums.list_notifications": [Row("GET", "/api/v1/notifications", signed_in())],
    # moderation (tests/moderation/sweep_world.py adds the mod_* ids to the world)
    "moderation.flag": [Row("GET", "/posts/{mod_post}/flag", forum()),
                        Row("POST", "/posts/{mod_post}/flag", forum(),
                            form={"reason": "spam", "note": "x"})],
    "moderation.notices": [Row("GET", "/moderation/notices", signed_in())],
    "moderation.read_notices": [Row("POST", "/moderation/notices/read", signed_in())],
    "moderation.space_queue": [Row("GET", "/spaces/{space}/queue", managing(admin=OK))],
    "moderation.queue": [Row("GET", "/moderation/queue", admin_only(facilitator=OK))],
    "moderation.item": [Row("GET", "/queue/{mod_item}", signed_in(outsider=NF, member=NF))],
    "moderation.act": [Row("POST", "/queue/{mod_item}/claim", signed_in(outsider=NF, member=NF),
                           form={"version": "{mod_version}"})],
    "moderation.space_log": [Row("GET", "/spaces/{space}/moderation-log", managing(admin=OK))],
    "moderation.log": [Row("GET", "/moderation/log", admin_only())],
    "moderation.log_csv": [Row("GET", "/moderation/log.csv", admin_only())],
    "moderation.settings": [Row("GET", "/spaces/{space}/moderation", managing(admin=OK)),
                            Row("POST", "/spaces/{space}/moderation", managing(admin=OK),
                                form={"new_member_holds": "2", "flag_threshold": "3"})],
    "moderation.add_space_word": [Row("POST", "/spaces/{space}/watched-words",
                                      managing(admin=OK),
                                      form={"pattern": "heck", "action": "hold"})],
    "moderation.delete_word": [Row("POST", "/watched-words/{mod_word}/delete",
                                   signed_in(outsider=NF, member=NF))],
    "moderation.site_words": [Row("GET", "/moderation/watched-words", admin_only()),
                              Row("POST", "/moderation/watched-words", admin_only(),
                                  form={"pattern": "heck", "action": "hold"})],
    "moderation.safeguarding": [Row("GET", "/moderation/safeguarding", admin_only()),
                                Row("POST", "/moderation/safeguarding", admin_only(),
                                    form={"email": "olga@example.org"})],
    "moderation.remove_contact": [Row("POST", "/moderation/safeguarding/{mod_contact}/remove",
                                      admin_only())],
    "api_moderation.flag_post": [Row("POST", "/api/v1/posts/{mod_post}/flags", forum(),
                                     json={"reason": "spam"})],
    "api_moderation.space_queue": [Row("GET", "/api/v1/spaces/{space}/queue",
                                       managing(admin=OK))],
    "api_moderation.site_queue": [Row("GET", "/api/v1/queue", admin_only())],
    "api_moderation.get_item": [Row("GET", "/api/v1/queue/{mod_item}",
                                    signed_in(outsider=NF, member=NF))],
    **{f"api_moderation.{name}": [Row("POST", f"/api/v1/queue/{{mod_item}}/{path}",
                                      signed_in(outsider=NF, member=NF, **over), json=body)]
       for name, path, body, over in (
           ("claim_item", "claim", {"version": "{mod_version}"}, {}),
           ("unclaim_item", "unclaim", {"version": "{mod_version}"}, {}),
           ("approve_item", "approve", {"version": "{mod_version}"}, {}),
           ("reject_item", "reject", {"version": "{mod_version}", "reason": "x"}, {}),
           ("remove_item", "remove", {"version": "{mod_version}", "reason": "x"}, {}),
           ("warn_author", "warn", {"message": "x"}, {}),
           ("mute_author", "mute", {"hours": 1, "reason": "x"}, {}),
           ("remove_author", "remove-member", {"reason": "x"}, {}),
           ("suspend_author", "suspend", {"reason": "x"}, {"facilitator": FB}))},
    "api_moderation.mute_member": [Row("POST", "/api/v1/spaces/{space}/members/{member_id}/mute",
                                       managing(admin=OK), json={"hours": 1, "reason": "x"})],
    "api_moderation.unmute_member": [Row("DELETE",
                                         "/api/v1/spaces/{space}/members/{member_id}/mute",
                                         managing(admin=OK))],
    "api_moderation.space_log": [Row("GET", "/api/v1/spaces/{space}/moderation-log",
                                     managing(admin=OK))],
    "api_moderation.site_log": [Row("GET", "/api/v1/moderation-log", admin_only())],
    "api_moderation.space_watched_words": [Row("GET", "/api/v1/spaces/{space}/watched-words",
                                               managing(admin=OK))],
    "api_moderation.add_space_watched_word": [Row(
        "POST", "/api/v1/spaces/{space}/watched-words", managing(admin=OK),
        json={"pattern": "heck", "action": "hold"})],
    "api_moderation.site_watched_words": [Row("GET", "/api/v1/watched-words", admin_only())],
    "api_moderation.add_site_watched_word": [Row("POST", "/api/v1/watched-words", admin_only(),
                                                 json={"pattern": "heck", "action": "hold"})],
    "api_moderation.delete_watched_word": [Row("DELETE", "/api/v1/watched-words/{mod_word}",
                                               signed_in(outsider=NF, member=NF))],
    "api_moderation.get_settings": [Row("GET", "/api/v1/spaces/{space}/moderation",
                                        managing(admin=OK))],
    "api_moderation.update_settings": [Row("PATCH", "/api/v1/spaces/{space}/moderation",
                                           managing(admin=OK), json={"flag_threshold": 3})],
    # facilitation: conversations, whispers, notes, rhythm, archive, participation
    "facilitation_group.conversation_list": [
        Row("GET", "/spaces/{space}/conversations", forum()),
        Row("POST", "/spaces/{space}/conversations", forum(facilitator=FB),
            form={"body": "Hello facilitators"})],
    "facilitation_group.conversation": [
        Row("GET", "/conversations/{fg_conversation}", forum()),
        Row("POST", "/conversations/{fg_conversation}", forum(), form={"body": "More"})],
    "facilitation_group.whisper": [Row("POST", "/threads/{thread}/whisper", forum(member=FB),
                                       form={"body": "Between us"})],
    "facilitation_group.member_notes": [
        Row("GET", "/spaces/{space}/members/{member_membership}/notes", forum(member=FB)),
        Row("POST", "/spaces/{space}/members/{member_membership}/notes", forum(member=FB),
            form={"body": "A note"})],
    "facilitation_group.delete_note": [Row("POST", "/spaces/{space}/notes/{fg_note}/delete",
                                           forum(member=FB))],
    "facilitation_group.slow_mode": [Row("POST", "/threads/{thread}/slow-mode",
                                         forum(member=FB), form={"minutes": 5})],
    "facilitation_group.timers": [
        Row("GET", "/spaces/{space}/timers", forum(member=FB)),
        Row("POST", "/spaces/{space}/timers", forum(member=FB),
            form={"action": "close", "run_at": "{fg_run_at_local}", "thread_id": "{thread}"})],
    "facilitation_group.cancel_timer": [Row("POST", "/spaces/{space}/timers/{fg_timer}/cancel",
                                            forum(member=FB))],
    "facilitation_group.archive_space": [
        Row("GET", "/spaces/{space}/archive", managing()),
        Row("POST", "/spaces/{space}/archive", managing(), form={"read_days": 3})],
    "facilitation_group.participation_overview": [Row("GET", "/spaces/{space}/participation",
                                                      forum(member=FB))],
    "api_facilitation_group.list_conversations": [
        Row("GET", "/api/v1/spaces/{space}/conversations", forum())],
    "api_facilitation_group.start_conversation": [
        Row("POST", "/api/v1/spaces/{space}/conversations", forum(facilitator=FB),
            json={"body": "Hello"})],
    "api_facilitation_group.list_messages": [
        Row("GET", "/api/v1/conversations/{fg_conversation}/messages", forum())],
    "api_facilitation_group.send_message": [
        Row("POST", "/api/v1/conversations/{fg_conversation}/messages", forum(),
            json={"body": "More"})],
    "api_facilitation_group.create_whisper": [
        Row("POST", "/api/v1/threads/{thread}/whispers", forum(member=FB),
            json={"body": "Between us"})],
    "api_facilitation_group.list_notes": [
        Row("GET", "/api/v1/spaces/{space}/members/{member_membership}/notes",
            forum(member=FB))],
    "api_facilitation_group.add_note": [
        Row("POST", "/api/v1/spaces/{space}/members/{member_membership}/notes",
            forum(member=FB), json={"body": "A note"})],
    "api_facilitation_group.delete_note": [
        Row("DELETE", "/api/v1/spaces/{space}/notes/{fg_note}", forum(member=FB))],
    "api_facilitation_group.set_slow_mode": [
        Row("PUT", "/api/v1/threads/{thread}/slow-mode", forum(member=FB),
            json={"minutes": 5})],
    "api_facilitation_group.list_timers": [
        Row("GET", "/api/v1/spaces/{space}/timers", forum(member=FB))],
    "api_facilitation_group.add_timer": [
        Row("POST", "/api/v1/spaces/{space}/timers", forum(member=FB),
            json={"action": "close", "run_at": "{fg_run_at}", "thread_id": "{thread}"})],
    "api_facilitation_group.cancel_timer": [
        Row("DELETE", "/api/v1/spaces/{space}/timers/{fg_timer}", forum(member=FB))],
    "api_facilitation_group.get_archive": [
        Row("GET", "/api/v1/spaces/{space}/archive", managing())],
    "api_facilitation_group.archive_space": [
        Row("POST", "/api/v1/spaces/{space}/archive", managing(), json={"read_days": 3})],
    "api_facilitation_group.get_participation": [
        Row("GET", "/api/v1/spaces/{space}/participation", forum(member=FB))],
    # documents
    "api-docs.openapi_json": [Row("GET", "/api/v1/openapi.json", everyone())],
    # browser libraries from node_modules (community/live.py)
    "live.vendor": [Row("GET", "/static/vendor/socket.io.min.js", everyone())],
    # facilitation: activities, announcements, live sessions, resources
    "facilitation_tools.activity_list": [Row("GET", "/spaces/{space}/activities", forum())],
    "facilitation_tools.activity_new": [
        Row("GET", "/spaces/{space}/activities/new", forum(member=FB)),
        Row("POST", "/spaces/{space}/activities/new", forum(member=FB), form={
            "title": "Values", "prompt": "Which?", "dots": "self_awareness",
            "visibility": "open", "closes_at": "2099-01-01T10:00"})],
    "facilitation_tools.announcement_new": [
        Row("GET", "/spaces/{space}/announcements/new", forum(member=FB)),
        Row("POST", "/spaces/{space}/announcements/new", forum(member=FB),
            form={"title": "News", "body": "Hello", "pinned": "y"})],
    "facilitation_tools.session_list": [
        Row("GET", "/spaces/{space}/sessions", forum()),
        Row("POST", "/spaces/{space}/sessions", forum(member=FB), form={
            "title": "Drop-in", "starts_at": "2099-01-01T10:00",
            "ends_at": "2099-01-01T11:00"})],
    "facilitation_tools.session_delete": [Row("POST", "/sessions/{live_session}/delete",
                                              forum(member=FB))],
    "facilitation_tools.resource_list": [
        Row("GET", "/spaces/{space}/resources", forum()),
        Row("POST", "/spaces/{space}/resources", forum(), form={
            "title": "Atlas", "url": "https://example.org/a", "dots": "self_awareness"})],
    "facilitation_tools.resource_edit": [
        Row("GET", "/resources/{resource}/edit", forum(member=FB)),
        Row("POST", "/resources/{resource}/edit", forum(member=FB), form={
            "title": "Atlas", "url": "https://example.org/a", "dots": "self_awareness"})],
    "facilitation_tools.resource_action": [Row("POST", "/resources/{resource}/check",
                                               forum(member=FB))],
    "api_facilitation_tools.list_templates": [Row("GET", "/api/v1/activity-templates",
                                                  signed_in())],
    "api_facilitation_tools.list_activities": [Row("GET", "/api/v1/spaces/{space}/activities",
                                                   forum())],
    "api_facilitation_tools.create_activity": [Row(
        "POST", "/api/v1/spaces/{space}/activities", forum(member=FB),
        json={"template": "values", "closes_at": "2099-01-01T10:00:00+00:00"})],
    "api_facilitation_tools.get_activity": [Row("GET", "/api/v1/activities/{activity}",
                                                forum())],
    "api_facilitation_tools.update_activity": [Row(
        "PATCH", "/api/v1/activities/{activity}", forum(member=FB), json={"visibility": "open"})],
    "api_facilitation_tools.create_announcement": [Row(
        "POST", "/api/v1/spaces/{space}/announcements", forum(member=FB),
        json={"title": "News", "body": "Hello", "pinned": True})],
    "api_facilitation_tools.list_live_sessions": [Row(
        "GET", "/api/v1/spaces/{space}/live-sessions", forum())],
    "api_facilitation_tools.create_live_session": [Row(
        "POST", "/api/v1/spaces/{space}/live-sessions", forum(member=FB), json={
            "title": "Drop-in", "starts_at": "2099-01-01T10:00:00+00:00",
            "ends_at": "2099-01-01T11:00:00+00:00"})],
    "api_facilitation_tools.delete_live_session": [Row(
        "DELETE", "/api/v1/live-sessions/{live_session}", forum(member=FB))],
    "api_facilitation_tools.list_resources": [Row("GET", "/api/v1/spaces/{space}/resources",
                                                  forum())],
    "api_facilitation_tools.create_resource": [Row(
        "POST", "/api/v1/spaces/{space}/resources", forum(), json={
            "title": "Atlas", "url": "https://example.org/a", "dots": "self_awareness"})],
    "api_facilitation_tools.get_resource": [Row("GET", "/api/v1/resources/{resource}",
                                                forum())],
    "api_facilitation_tools.update_resource": [Row(
        "PATCH", "/api/v1/resources/{resource}", forum(member=FB), json={"checked": True})],
}

# Endpoints that are not the app's own (static files are served to anyone).
NOT_SWEPT = {"static"}


def url_map_endpoints(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_SWEPT:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_endpoint_has_a_row(app):
    rows = {(endpoint, row.method) for endpoint, rows in TABLE.items() for row in rows}
    missing = url_map_endpoints(app) - rows
    assert not missing, f"endpoints without an authorization row: {sorted(missing)}"
    stale = rows - url_map_endpoints(app)
    assert not stale, f"rows for endpoints that no longer exist: {sorted(stale)}"


def test_every_row_names_every_role():
    for endpoint, rows in TABLE.items():
        for row in rows:
            assert set(row.expect) == set(ROLES), endpoint


def build_world(facilitator, member, other_member, outsider, admin) -> dict[str, Any]:
    """A space with a thread, a post, an invitation and, in a second space, a join request."""
    space = factories.make_space(name="Next steps", facilitators=[facilitator],
                                 members=[(member, "Robin"), (other_member, "Kit")])
    factories.make_space(name="Elsewhere", members=[(outsider, "Otto")], accepted_by=[admin])
    join_space = factories.make_space(name="Open door", facilitators=[facilitator],
                                      members=[(member, "Robin2")],
                                      join_policy=JoinPolicy.REQUEST)
    asker = factories.make_user(email="asker@example.org")
    request = JoinRequest(space_id=join_space.id, user_id=asker.id, pseudonym="Asker2")
    raw_invitation = "inv-" + "x" * 30
    invitation = Invitation(space_id=space.id, role=Role.MEMBER,
                            token_hash=hash_token(raw_invitation),
                            expires_at=utcnow() + timedelta(days=1), max_uses=5)
    db.session.add_all([request, invitation])
    db.session.commit()
    membership = get_membership(member, space.id)
    thread, post = forum_actions.check_create_thread(
        space, membership, title="Where do I start?", body="Where do I start, @Kit?")
    forum_actions.check_create_post(thread, get_membership(other_member, space.id),
                                    body="@Robin have a look at the job centre's list.")
    db.session.commit()
    factories.make_token(user=member)
    notification = db.session.scalar(db.select(Notification).where(
        Notification.user_id == member.id))
    from tests.facilitation.sweep_world import group_world
    from tests.facilitation.sweep_world_tools import tools_world
    from tests.moderation.sweep_world import moderation_world

    return {
        **moderation_world(space.id, post.id, facilitator, other_member, admin),
        **group_world(space, thread, facilitator, member),
        **tools_world(space.id, facilitator),
        "space": space.id, "join_space": join_space.id, "thread": thread.id, "post": post.id,
        "member_id": member.id, "other_member_id": other_member.id,
        "member_membership": membership.id, "invitation_id": invitation.id,
        "invitation_token": raw_invitation, "request_id": request.id,
        "token_id": member.tokens[0].id, "notification": notification.id,
    }


def fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") \
            and value[1:-1] in world:
        return world[value[1:-1]]
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


def check(response, expected, path: str) -> None:  # type: ignore[no-untyped-def]
    status = response.status_code
    location = response.headers.get("Location", "")
    api = path.startswith("/api/")
    if expected == LOGIN:
        if api:
            assert status == HTTPStatus.UNAUTHORIZED, (status, response.data[:300])
        else:
            assert status == HTTPStatus.FOUND and location.startswith("/sign-in"), \
                (status, location)
    elif expected == OK:
        assert status < 400, (status, response.data[:300])
        assert not location.startswith("/sign-in"), location
        assert not GATE.match(location), location
    else:
        assert status == expected, (status, response.data[:300])


GATE = re.compile(r"^/agreements/(site|spaces/\d+)(\?|$)")

CASES = [(endpoint, index, role) for endpoint, rows in TABLE.items()
         for index in range(len(rows)) for role in ROLES]


@pytest.mark.parametrize(("endpoint", "index", "role"), CASES,
                         ids=[f"{e}-{TABLE[e][i].method}-{r}" for e, i, r in CASES])
def test_role_gets_what_the_table_says(app, endpoint, index, role, facilitator, member,
                                       other_member, outsider, admin):
    world = build_world(facilitator, member, other_member, outsider, admin)
    people = {"outsider": outsider, "member": member, "facilitator": facilitator,
              "admin": admin}
    client = app.test_client()
    if role != "anon":
        from tests.conftest import login

        login(client, people[role])
    row = TABLE[endpoint][index]
    path = fill(row.path, world)
    response = client.open(path, method=row.method, json=fill(row.json, world),
                           data=fill(row.form, world))
    check(response, row.expect[role], path)
