"""Demo data for trying the platform: people, a space, its agreements and a few threads.

Loading is idempotent: whatever already exists (matched by e-mail, space slug, the
current agreement versions) is reused, never duplicated. Passwords are derived from
the instance's secret key, so every run prints the same working password without
storing it anywhere, and another installation's demo passwords differ.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from community.accounts import actions as accounts
from community.accounts.models import User
from community.accounts.passwords import verify_password
from community.accounts.queries import get_user_by_email
from community.agreements import actions as agreements
from community.agreements.queries import get_current_agreement
from community.extensions import db
from community.spaces import actions as spaces
from community.spaces.models import Agreement, Anonymity, JoinPolicy, Membership, Space
from community.spaces.queries import get_membership

SPACE_SLUG = "next-steps-after-school"
SPACE_NAME = "Next steps after school"
SPACE_PURPOSE = ("A small group for finishing pupils who want to explore what comes next: "
                 "study programmes, apprenticeships, gap years and first jobs.")

# key, role, e-mail, display name, pseudonym in the demo space
PEOPLE = (
    ("admin", "admin", "admin@example.org", "Ada Lindqvist", None),
    ("facilitator", "facilitator", "counsellor@example.org", "Frida Nielsen", None),
    ("robin", "member", "mathilde@example.org", "Mathilde Hansen", "Robin"),
    ("kit", "member", "jonas@example.org", "Jonas Berg", "Kit"),
    ("sky", "member", "nora@example.org", "Nora Haugen", "Sky"),
)

SITE_AGREEMENT = ("Site agreement", """\
We use this platform to explore careers together. By taking part you agree that:

- what others share here stays here: you do not copy, screenshot or retell it elsewhere;
- you respect others' pseudonyms and do not try to find out who is behind them;
- you do not share personal details about yourself or others that could identify anyone;
- you treat everyone with respect, and tell a facilitator when something feels wrong.
""")

SPACE_AGREEMENT = ("How we work in Next steps after school", """\
In this group we share doubts, plans and experiences about life after school.

1. **Confidentiality.** Stories told here are not repeated outside the group.
2. **Pseudonyms.** Use the name you chose; never guess who someone else is.
3. **Kindness.** Every plan is a valid plan. Ask questions before giving advice.
4. **Facilitation.** Frida reads along and may pause a thread to keep it safe.
""")

# author key, title, opening post, replies as (author key, body)
THREADS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("facilitator", "Welcome! Introduce yourself with one job you are curious about",
     "Hi everyone, I am Frida, a career counsellor. Tell us your pseudonym and one job or "
     "field you would like to know more about, even if it feels far away.",
     (("robin", "I am Robin. I keep wondering what a landscape architect actually does all day."),
      ("kit", "Kit here. Electrician, maybe? I like working with my hands."))),
    ("robin", "University or a gap year first?",
     "Everyone in my class seems to know what they will study. I do not. "
     "Did anyone take a gap year, and did it help you decide?",
     (("sky", "My sister worked for a year in a kindergarten and then chose teacher training. "
              "She says the year made the choice easy."),
      ("facilitator", "A gap year works best with a plan for what you want to find out. "
                      "Shall we make a list of questions you could test during a year?"))),
    ("kit", "What is an apprenticeship really like?",
     "I am thinking about an electrician apprenticeship. How much is school and how much is "
     "work? Does anyone know someone who did one?",
     (("facilitator", "In most programmes you spend two years at school and two years as an "
                      "apprentice in a company, with a wage. I can share a short guide."),)),
)


@dataclass
class Login:
    role: str
    email: str
    password: str | None  # None when the account's password no longer is the demo one
    display_name: str
    pseudonym: str | None


@dataclass
class DemoResult:
    space: Space
    logins: list[Login] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # one entry per row kind made

    def summary(self) -> str:
        """E.g. "5 accounts, 1 space, 2 agreements", or "nothing new"."""
        counts = Counter(self.created)
        return ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items()) \
            or "nothing new"


def demo_password(email: str) -> str:
    """A strong password that is stable for this installation (HMAC of the secret key)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"demo-password:{email}".encode(), hashlib.sha256).digest()
    letters = base64.b32encode(digest).decode().lower()[:16]
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def load_demo() -> DemoResult:
    """Create whatever part of the demo is missing; never commits (the caller does).

    Everything goes through the domain actions, so the audit log shows the demo as if
    people had done it: sign-ups, the admin right, space:create, the facilitator's
    appointment, one invitation the members joined by, agreement publications.
    """
    created: list[str] = []
    people: dict[str, User] = {}
    logins: list[Login] = []
    for key, role, email, name, pseudonym in PEOPLE:
        user, password = _person(email, name, created)
        people[key] = user
        logins.append(Login(role, email, password, user.display_name, pseudonym))
    admin, facilitator = people["admin"], people["facilitator"]
    if not admin.is_admin:
        accounts.do_set_admin(admin, is_admin=True, acting_user=admin)

    space = _space(admin, created)
    if get_membership(facilitator, space.id) is None:
        spaces.do_appoint_facilitator(space, facilitator, acting_user=admin)
        created.append("facilitator")
    _join_members(space, facilitator, people, created)

    site = _agreement(None, *SITE_AGREEMENT, admin, created)
    own = _agreement(space, *SPACE_AGREEMENT, facilitator, created)
    for user in people.values():
        agreements.check_accept_agreement(user, space=None, version=site.version)
        agreements.check_accept_agreement(user, space=space, version=own.version)
    db.session.flush()

    threads = _demo_threads(space, people)
    created.extend(["thread"] * threads)
    return DemoResult(space=space, logins=logins, created=created)


def _person(email: str, name: str, created: list[str]) -> tuple[User, str | None]:
    password = demo_password(email)
    user = get_user_by_email(email)
    if user is None:
        user = accounts.check_signup(email=email, password=password, display_name=name)
        created.append("account")
        return user, password
    return user, password if verify_password(user.password_hash, password) else None


def _space(admin: User, created: list[str]) -> Space:
    space = db.session.scalar(sa.select(Space).where(Space.slug == SPACE_SLUG))
    if space is None:
        space = spaces.check_create_space(
            acting_user=admin, name=SPACE_NAME, purpose=SPACE_PURPOSE,
            join_policy=JoinPolicy.INVITE.value, anonymity=Anonymity.PSEUDONYMS_ALLOWED.value)
        created.append("space")
    return space


def _join_members(space: Space, facilitator: User, people: dict[str, User],
                  created: list[str]) -> None:
    """Members who never belonged join through one invitation, with their pseudonyms.

    Someone who has a membership, even an ended one, is left as they are.
    """
    missing = [(people[key], pseudonym) for key, role, _email, _name, pseudonym in PEOPLE
               if role == "member" and get_membership(people[key], space.id) is None]
    if not missing:
        return
    _invitation, token = spaces.check_create_invitation(
        space, max_uses=len(missing), expires_in_hours=1, acting_user=facilitator)
    for user, pseudonym in missing:
        spaces.check_accept_invitation(token, user=user, pseudonym=pseudonym)
        created.append("member")


def _agreement(space: Space | None, title: str, body: str, by: User,
               created: list[str]) -> Agreement:
    """The current agreement of the site or space; the demo text is published if none is."""
    current = get_current_agreement(space.id if space else None)
    if current is not None:
        return current
    created.append("agreement")
    return agreements.check_publish_agreement(space=space, title=title, body=body,
                                              acting_user=by)


def _demo_threads(space: Space, people: dict[str, User]) -> int:
    """Start the THREADS whose titles the space does not have yet; returns how many.

    Goes through community.forums.actions when that module offers thread and post
    creation; without it (an installation without forums) this does nothing.
    """
    try:
        forums: Any = importlib.import_module("community.forums.actions")
        models: Any = importlib.import_module("community.forums.models")
    except ModuleNotFoundError:
        return 0
    create_thread = getattr(forums, "check_create_thread", None)
    create_post = getattr(forums, "check_create_post", None)
    thread_model = getattr(models, "Thread", None)
    if create_thread is None or create_post is None or thread_model is None:
        return 0
    done = set(db.session.scalars(sa.select(thread_model.title)
                                  .where(thread_model.space_id == space.id)))
    count = 0
    for author, title, body, replies in THREADS:
        opener = _active_member(space, people[author])
        if title in done or opener is None:
            continue
        thread, _post = create_thread(space, opener, title=title, body=body)
        for reply_author, reply in replies:
            member = _active_member(space, people[reply_author])
            if member is not None:  # someone who left since the last run stays silent
                create_post(thread, member, body=reply)
        count += 1
    return count


def _active_member(space: Space, user: User) -> Membership | None:
    membership = get_membership(user, space.id)
    return membership if membership is not None and membership.is_active else None
