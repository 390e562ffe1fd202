"""Moderation benchmarks: a 50,000-item queue across 200 spaces, claim + resolve, and the
cost of watched-word and personal-data checks on posting.

    python -m bench.moderation                       # both backends, appends to RESULTS.md
    python -m bench.moderation --backends sqlite --no-write

Pages go through the Flask test client in-process, signed in (like one web worker);
claim + resolve goes through the JSON API (two requests, each its own transaction).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

POSTGRES_URL = os.environ.get("COMMUNITY_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "# Moderation benchmarks"
SPACES, ITEMS, WORDS = 200, 50_000, 200


def make_app(backend: str, workdir: Path):  # type: ignore[no-untyped-def]
    from community import create_app

    pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
    else:
        pg_name = f"community_modbench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{pg_name}"')
        admin.dispose()
        url = str(sa.make_url(POSTGRES_URL).set(database=pg_name))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-that-is-long-enough",
                      "INSTANCE_PATH": str(workdir / "instance"), "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "BASE_URL": "http://localhost"})
    return app, pg_name


def drop_database(name: str | None) -> None:
    if name:
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def seed(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """200 spaces, each with a facilitator and 5 members who accepted the agreements, one
    thread, and 250 posts with a review item each (about 80 % still pending)."""
    from flask_migrate import upgrade

    from community.accounts.models import User
    from community.extensions import db
    from community.forums.models import Post, Thread
    from community.moderation.models import ReviewItem
    from community.spaces.models import Acceptance, Agreement, Membership, Space
    from community.text import render_markdown

    rng = random.Random(7)
    now = datetime.now(UTC)
    html = render_markdown("Please call me, I am not sure what to do next with my studies.")
    with app.app_context():
        upgrade()
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(sa.insert(User), [
                {"email": f"u{n}@bench.example", "display_name": f"User {n}",
                 "password_hash": "x", "is_admin": n == 0, "status": "active",
                 "session_version": 1, "created_at": now} for n in range(1 + SPACES * 6)])
            conn.execute(sa.insert(Space), [
                {"slug": f"s{n}", "name": f"Space {n}", "purpose": "", "join_policy": "invite",
                 "anonymity": "pseudonyms_allowed", "moderation_policy": "pre",
                 "created_at": now} for n in range(SPACES)])
            users = [r[0] for r in conn.execute(sa.select(User.id).order_by(User.id))]
            spaces = [r[0] for r in conn.execute(sa.select(Space.id).order_by(Space.id))]
            memberships = []
            for i, space_id in enumerate(spaces):
                people = users[1 + i * 6: 1 + (i + 1) * 6]
                for j, user_id in enumerate(people):
                    memberships.append({"user_id": user_id, "space_id": space_id,
                                        "role": "facilitator" if j == 0 else "member",
                                        "state": "active", "pseudonym": None,
                                        "show_presence": True, "joined_at": now})
            conn.execute(sa.insert(Membership), memberships)
            conn.execute(sa.insert(Agreement), [
                {"space_id": s, "version": 1, "title": "x", "body_source": "x",
                 "body_html": "<p>x</p>", "published_at": now} for s in [None, *spaces]])
            agreements = {s: a for a, s in conn.execute(sa.select(Agreement.id,
                                                                  Agreement.space_id))}
            conn.execute(sa.insert(Acceptance), [
                {"user_id": m["user_id"], "agreement_id": agreements[key], "accepted_at": now}
                for m in memberships for key in (None, m["space_id"])]
                + [{"user_id": users[0], "agreement_id": agreements[None], "accepted_at": now}])
            member_ids = {(s, u): mid for mid, s, u in conn.execute(
                sa.select(Membership.id, Membership.space_id, Membership.user_id))}
            conn.execute(sa.insert(Thread), [
                {"space_id": s, "author_id": member_ids[(s, users[1 + i * 6])],
                 "kind": "discussion", "title": "Thread", "state": "published",
                 "pinned": False, "locked": False, "replies_allowed": True, "post_count": 0,
                 "last_post_id": 0, "last_post_at": now, "created_at": now}
                for i, s in enumerate(spaces)])
            threads = {s: t for s, t in conn.execute(sa.select(Thread.space_id, Thread.id))}
            per_space = ITEMS // SPACES
            posts = []
            for i, s in enumerate(spaces):
                for k in range(per_space):
                    author = users[1 + i * 6 + 1 + k % 5]
                    posts.append({"thread_id": threads[s], "space_id": s,
                                  "author_id": member_ids[(s, author)], "source": "x",
                                  "body_html": html, "state": "pending",
                                  "state_reason": "Every post is reviewed.", "created_at": now})
            for start in range(0, len(posts), 5000):
                conn.execute(sa.insert(Post), posts[start:start + 5000])
            rows = conn.execute(sa.select(Post.id, Post.space_id, Post.author_id)).all()
            authors = {mid: u for (s, u), mid in member_ids.items()}
            items = []
            for post_id, space_id, author_id in rows:
                pending = rng.random() < 0.8
                items.append({"space_id": space_id, "post_id": post_id,
                              "author_user_id": authors[author_id],
                              "state": "pending" if pending else "approved",
                              "rank": rng.choice([0, 1, 2, 3, 3, 3]),
                              "reasons": [{"kind": "pre_moderation", "detail": ""}],
                              "safety": False, "created_at": now, "opened_at": now,
                              "updated_at": now, "version": 1})
            for start in range(0, len(items), 5000):
                conn.execute(sa.insert(ReviewItem), items[start:start + 5000])
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE")
            else:
                conn.exec_driver_sql("ANALYZE")
        return {"admin": users[0], "facilitator": users[1], "space": spaces[0],
                "spaces": spaces, "users": users}


def median_ms(func: Callable[[], Any], runs: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def client_for(app, user_id: int):  # type: ignore[no-untyped-def]
    from community.accounts.models import User
    from community.extensions import db

    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def get_ok(client, path: str) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    def run() -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return run


def measure(backend: str) -> dict[str, float]:
    from community.extensions import db
    from community.moderation import detection
    from community.moderation.models import ReviewItem, WatchedAction, WatchedWord
    from community.moderation.screening import rules_matcher, screen_new_post
    from community.spaces.models import Membership, ModerationPolicy, Space

    with tempfile.TemporaryDirectory() as tmp:
        app, pg_name = make_app(backend, Path(tmp))
        try:
            ids = seed(app)
            results: dict[str, float] = {}
            fac = client_for(app, ids["facilitator"])
            adm = client_for(app, ids["admin"])
            results["facilitator queue page (HTML), 250 items in the space"] = median_ms(
                get_ok(fac, f"/spaces/{ids['space']}/queue"), 40)
            results["admin cross-space queue page (HTML), 50,000 items"] = median_ms(
                get_ok(adm, "/moderation/queue"), 40)
            results["facilitator queue (API)"] = median_ms(
                get_ok(fac, f"/api/v1/spaces/{ids['space']}/queue"), 40)
            results["admin cross-space queue (API)"] = median_ms(
                get_ok(adm, "/api/v1/queue"), 40)

            with app.app_context():
                pending = list(db.session.scalars(sa.select(ReviewItem.id).where(
                    ReviewItem.space_id == ids["space"], ReviewItem.state == "pending")
                    .order_by(ReviewItem.id).limit(60)))
            claims, resolves, both = [], [], []
            for item_id in pending:
                t0 = time.perf_counter()
                r = fac.post(f"/api/v1/queue/{item_id}/claim", json={"version": 1})
                t1 = time.perf_counter()
                assert r.status_code == 200, r.get_json()
                r = fac.post(f"/api/v1/queue/{item_id}/approve",
                             json={"version": r.get_json()["version"]})
                t2 = time.perf_counter()
                assert r.status_code == 200, r.get_json()
                claims.append((t1 - t0) * 1000)
                resolves.append((t2 - t1) * 1000)
                both.append((t2 - t0) * 1000)
            results["claim (API request)"] = statistics.median(claims[5:])
            results["resolve: approve and publish (API request)"] = statistics.median(
                resolves[5:])
            results["claim + resolve (two API requests)"] = statistics.median(both[5:])

            text = ("I finished school and wonder what to do next; my counsellor said an "
                    "apprenticeship in Aarhus could suit me. ") * 20
            text = text[:2000]
            with app.app_context():
                space = db.session.get(Space, ids["space"])
                space.moderation_policy = ModerationPolicy.POST
                membership = db.session.scalar(sa.select(Membership).where(
                    Membership.space_id == space.id, Membership.role == "member").limit(1))
                db.session.commit()
                baseline = median_ms(lambda: screen_new_post(space, membership, text), 300)
                words = [WatchedWord(space_id=None if n % 2 else space.id,
                                     pattern=f"badword{n}" + ("*" if n % 3 == 0 else ""),
                                     action=[WatchedAction.BLOCK, WatchedAction.HOLD,
                                             WatchedAction.CENSOR, WatchedAction.FLAG][n % 4])
                         for n in range(WORDS)]
                db.session.add_all(words)
                db.session.commit()
                space = db.session.get(Space, ids["space"])
                membership = db.session.get(Membership, membership.id)
                checks = median_ms(lambda: screen_new_post(space, membership, text), 300)
                matcher = rules_matcher(db.session, space.id)
                pure = median_ms(lambda: (matcher.hits(text), detection.kinds(text)), 1000)
                db.session.rollback()
            results["screening a 2,000-character post, 200 watched words (whole check)"] = checks
            results["screening with no watched words (policy, personal data, queries)"] = (
                baseline)
            results["watched words + personal data matching alone (no database)"] = pure
            return results
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            drop_database(pg_name)


def write(results: dict[str, dict[str, float]]) -> None:
    """Replace this benchmark's own section of RESULTS.md (or append it)."""
    backends = list(results)
    names = list(next(iter(results.values())))
    lines = [HEADING, "",
             "Run on its own: `python -m bench.moderation` (both backends; rewrites only this "
             "section).", "",
             f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
             f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
             f"{os.getloadavg()[0]:.1f} (other engineers' test suites ran meanwhile, so "
             "these are noisy upper bounds). Medians in ms; "
             "targets: queue pages < 30 ms, claim + resolve < 10 ms, checks < 1 ms.", "",
             "| measurement | " + " | ".join(backends) + " |",
             "| --- |" + " ---: |" * len(backends)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{results[b][name]:.2f}" for b in backends)
                     + " |")
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else ""
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n# ", start + len(HEADING))
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = {}
    for backend in [b for b in args.backends.split(",") if b]:
        results[backend] = measure(backend)
        for name, value in results[backend].items():
            print(f"{backend:10} {name:75} {value:8.2f} ms")
    if not args.no_write:
        write(results)


if __name__ == "__main__":
    main()
