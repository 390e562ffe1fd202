"""Posting with several members at once in one process, as `community serve` runs.

`community serve` is one gevent process: while one request waits for the database, the
others go on. `bench_posting` (bench/__main__.py) posts one reply at a time, so that
process also waits out each post's round trips to PostgreSQL (four: BEGIN, the read,
the write, COMMIT). Here `posters` members post at the same time, each into a thread of
their own in one space (so every post still takes that space's lock), each through the
service layer exactly as `bench_posting` does; the process's CPU then sets the rate.

It must run under gevent's patching, in a process of its own; `python -m bench` runs

    python -m gevent.monkey --module bench.concurrent_posting --backend postgresql

for each backend and reads the one JSON line of figures it prints.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
from gevent import monkey

from bench import FULL
from bench.__main__ import drop_database, make_app, reply, seed


def add_posters(app, ids: dict[str, Any], count: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """`count` ordinary members of the benchmark's space, who accepted its agreements,
    each with a thread of their own: (thread id, membership id) for each."""
    import sqlalchemy as sa

    from community.accounts.models import User
    from community.extensions import db
    from community.forums import actions
    from community.spaces.models import Acceptance, Agreement, Membership

    with app.app_context():
        users = [User(email=f"poster{n}@bench.example", display_name=f"Poster {n}",
                      password_hash="x") for n in range(count)]
        db.session.add_all(users)
        db.session.flush()
        memberships = [Membership(user_id=user.id, space_id=ids["space_id"],
                                  pseudonym=f"Poster{n}", pseudonym_key=f"poster{n}")
                       for n, user in enumerate(users)]
        db.session.add_all(memberships)
        db.session.flush()
        agreements = db.session.scalars(sa.select(Agreement)).all()
        db.session.add_all([Acceptance(user_id=user.id, agreement_id=agreement.id)
                            for user in users for agreement in agreements])
        threads = [actions.check_create_thread(membership.space, membership,
                                               title=f"{membership.pseudonym}'s thread",
                                               body="Start")[0]
                   for membership in memberships]
        db.session.commit()
        return [(thread.id, membership.id) for thread, membership in zip(threads, memberships,
                                                                          strict=True)]


def post_as(app, thread_id: int, membership_id: int, numbers: range) -> None:  # type: ignore[no-untyped-def]
    """One member's replies, in an application context (so a session) of their own."""
    from community.extensions import db
    from community.forums.models import Thread
    from community.spaces.models import Membership

    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        membership = db.session.get(Membership, membership_id)
        db.session.commit()
        for n in numbers:
            reply(thread, membership, n)


def check_stored(app, pairs: list[tuple[int, int]], replies: int) -> None:  # type: ignore[no-untyped-def]
    """Every reply is stored and counted: a figure for posts that went missing would be
    worse than none."""
    import sqlalchemy as sa

    from community.extensions import db
    from community.forums.models import Post, Thread

    with app.app_context():
        for thread_id, _membership_id in pairs:
            stored = db.session.scalar(sa.select(sa.func.count()).where(
                Post.thread_id == thread_id))
            counted = db.session.get(Thread, thread_id).post_count
            if not stored == counted == replies + 1:  # and the opening post
                raise SystemExit(f"thread {thread_id}: {stored} posts stored, {counted} "
                                 f"counted, {replies + 1} posted")
        db.engine.dispose()


def measure(backend: str, posts: int, rounds: int, posters: int) -> dict[str, float]:
    """`posts` replies in `rounds` rounds, each round's shared out among `posters` members
    posting at once; the median round's rate, and the slowest and fastest rounds'."""
    per_poster = max(1, posts // rounds // posters)
    name = f"posts per second, {posters} posters at once"
    with tempfile.TemporaryDirectory() as folder:
        app, pg_name = make_app(backend, Path(folder))
        try:
            pairs = add_posters(app, seed(app), posters)
            measured: list[tuple[float, float]] = []  # (posts per second, per CPU second)
            for r in range(rounds):
                start, cpu_start = time.perf_counter(), time.process_time()
                gevent.joinall([
                    gevent.spawn(post_as, app, thread_id, membership_id,
                                 range((r * posters + i) * per_poster,
                                       (r * posters + i + 1) * per_poster))
                    for i, (thread_id, membership_id) in enumerate(pairs)], raise_error=True)
                done = per_poster * posters
                measured.append((done / (time.perf_counter() - start),
                                 done / (time.process_time() - cpu_start)))
            check_stored(app, pairs, per_poster * rounds)
        finally:
            drop_database(pg_name)
    rates = sorted(rate for rate, _cpu in measured)
    return {name: statistics.median(rates),
            f"{name}, slowest round": rates[0],
            f"{name}, fastest round": rates[-1],
            f"posts per second of CPU time, {posters} posters at once":
                statistics.median(cpu for _r, cpu in measured)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--posts", type=int, default=FULL.posts)
    parser.add_argument("--rounds", type=int, default=FULL.rounds)
    parser.add_argument("--posters", type=int, default=FULL.posters)
    args = parser.parse_args()
    if not monkey.is_module_patched("socket"):
        parser.error("run it as: python -m gevent.monkey --module bench.concurrent_posting ...")
    print(json.dumps(measure(args.backend, args.posts, args.rounds, args.posters)))


if __name__ == "__main__":
    main()
