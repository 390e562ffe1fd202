"""Run every benchmark on SQLite and PostgreSQL and write bench/RESULTS.md.

    python -m bench                 # both backends, writes bench/RESULTS.md
    python -m bench --backends sqlite --no-write
    python -m bench --smoke         # small sizes: checks that everything runs, writes nothing

Timings are in-process through the Flask test client (pages, API) or straight through
the service layer (posting), like a single web worker would do them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess  # nosec B404 # runs this repository's own benchmark module
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import FULL, SMOKE, Sizes

POSTGRES_URL = os.environ.get("COMMUNITY_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).with_name("RESULTS.md")

BODIES = [
    "I finished upper secondary school and I am **not sure** what comes next. Has anyone "
    "taken a gap year? Was it worth it?",
    "Some things that helped me:\n\n- talking to a counsellor\n- trying a *short course*\n"
    "- asking people about their jobs\n\nSee https://example.org/careers for more.",
    "> What do you do when the job centre says no?\n\nI asked again a month later and "
    "brought my CV. It worked the second time. Good luck!",
    "Carpentry apprenticeship, health care assistant or IT support — which one has the "
    "best chances in Aarhus? I would like to stay near my family.",
]


def make_app(backend: str, workdir: Path):  # type: ignore[no-untyped-def]
    from community import create_app

    pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
    else:
        pg_name = f"community_bench_{uuid.uuid4().hex[:10]}"
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
    if not name:
        return
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def seed(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A space with a facilitator and a member who accepted its agreements."""
    from flask_migrate import upgrade

    from community.accounts.models import User
    from community.extensions import db
    from community.spaces.models import Acceptance, Agreement, Membership, Role, Space

    with app.app_context():
        upgrade()
        users = [User(email=f"{n}@bench.example", display_name=n.title(), password_hash="x")
                 for n in ("frida", "robin")]
        space = Space(slug="bench", name="Bench", purpose="")
        db.session.add_all([*users, space])
        db.session.flush()
        memberships = [Membership(user_id=users[0].id, space_id=space.id, role=Role.FACILITATOR),
                       Membership(user_id=users[1].id, space_id=space.id, pseudonym="Robin",
                                  pseudonym_key="robin")]
        agreements = [Agreement(space_id=None, version=1, title="Site", body_source="x",
                                body_html="<p>x</p>"),
                      Agreement(space_id=space.id, version=1, title="Space", body_source="x",
                                body_html="<p>x</p>")]
        db.session.add_all([*memberships, *agreements])
        db.session.flush()
        db.session.add_all([Acceptance(user_id=u.id, agreement_id=a.id)
                            for u in users for a in agreements])
        db.session.commit()
        return {"space_id": space.id, "user_ids": [u.id for u in users],
                "membership_ids": [m.id for m in memberships]}


def bulk_thread(app, ids: dict[str, Any], posts: int) -> int:  # type: ignore[no-untyped-def]
    """One thread with `posts` posts, written in bulk (rendering is not measured here)."""
    from community.extensions import db
    from community.forums.models import Post, Thread
    from community.text import render_markdown

    html = [render_markdown(b) for b in BODIES]
    start = datetime.now(UTC) - timedelta(seconds=posts)  # one post a second: every
    # timestamp on a page differs, as in a real thread
    with app.app_context():
        thread = Thread(space_id=ids["space_id"], author_id=ids["membership_ids"][1],
                        title="A very long thread", post_count=posts)
        db.session.add(thread)
        db.session.flush()
        rows = [{"thread_id": thread.id, "space_id": ids["space_id"],
                 "author_id": ids["membership_ids"][n % 2], "source": BODIES[n % 4],
                 "body_html": html[n % 4], "state": "published",
                 "created_at": start + timedelta(seconds=n)}
                for n in range(posts)]
        for start in range(0, posts, 2000):
            db.session.execute(sa.insert(Post), rows[start:start + 2000])
        thread.last_post_id = db.session.scalar(sa.select(sa.func.max(Post.id)))
        db.session.commit()
        analyze()
        return thread.id


def bulk_threads(app, ids: dict[str, Any], count: int) -> None:  # type: ignore[no-untyped-def]
    from community.extensions import db
    from community.forums.models import Thread

    now = datetime.now(UTC) - timedelta(seconds=count)
    with app.app_context():
        base = db.session.scalar(sa.select(sa.func.max(Thread.last_post_id))) or 0
        rows = [{"space_id": ids["space_id"], "author_id": ids["membership_ids"][n % 2],
                 "title": f"Thread number {n}", "kind": "discussion", "state": "published",
                 "pinned": n % 1000 == 0, "locked": False, "replies_allowed": True,
                 "post_count": 1 + n % 7, "last_post_id": base + n + 1,
                 "last_post_at": now + timedelta(seconds=n), "created_at": now}
                for n in range(count)]
        db.session.execute(sa.insert(Thread), rows)
        db.session.commit()
        analyze()


def analyze() -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would in production;
    without them PostgreSQL sorts the whole thread instead of walking the index."""
    from community.extensions import db

    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def client_for(app, user_id: int):  # type: ignore[no-untyped-def]
    from community.accounts.models import User
    from community.extensions import db

    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        session_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def median_ms(call: Callable[[], Any], runs: int = 60, warmup: int = 5) -> tuple[float, float]:
    """Median wall time and median CPU time of this process, in ms.

    On the shared 2-core machine other people's test runs take the CPU away from us, and
    wall time then counts the waiting too. The CPU time this process spends is what the
    request costs; with SQLite (in-process) it is close to the wall time on an idle
    machine. With PostgreSQL the server's own work is in another process and not in it.
    """
    for _ in range(warmup):
        call()
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        call()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - start) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def timed(name: str, figures: tuple[float, float]) -> dict[str, float]:
    wall, cpu = figures
    return {name: wall, f"{name}, CPU": cpu}


def get_ok(client, url: str) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    def call() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return call


def bench_pages(app, ids: dict[str, Any],  # type: ignore[no-untyped-def]
                sizes: Sizes = FULL) -> dict[str, float]:
    thread_id = bulk_thread(app, ids, sizes.thread_posts)
    member = client_for(app, ids["user_ids"][1])
    results = {
        "thread page, 10,000 posts, first page (HTML)": get_ok(member, f"/threads/{thread_id}"),
        "thread page, 10,000 posts, last page (HTML)": get_ok(member,
                                                              f"/threads/{thread_id}?last=1"),
        "posts API, 10,000 posts, first page": get_ok(member,
                                                      f"/api/v1/threads/{thread_id}/posts"),
        "posts API, 10,000 posts, last page": get_ok(
            member, f"/api/v1/threads/{thread_id}/posts?last=true"),
    }
    figures: dict[str, float] = {}
    for name, call in results.items():
        figures.update(timed(name, median_ms(call, sizes.page_runs)))
    bulk_threads(app, ids, sizes.threads)
    space = ids["space_id"]
    first = member.get(f"/api/v1/spaces/{space}/threads?limit=30").json
    deep_cursor = first["next_cursor"]
    for _ in range(100):  # walk 100 pages in, to time a page deep in the list
        deep_cursor = member.get(f"/api/v1/spaces/{space}/threads?limit=30&cursor={deep_cursor}"
                                 ).json["next_cursor"] or deep_cursor
    lists = {
        "thread list, 5,000 threads, first page (HTML)": get_ok(member,
                                                                f"/spaces/{space}/threads"),
        "thread list, 5,000 threads, page 100 (HTML)": get_ok(
            member, f"/spaces/{space}/threads?cursor={deep_cursor}"),
        "threads API, 5,000 threads, first page": get_ok(member,
                                                         f"/api/v1/spaces/{space}/threads"),
    }
    for name, call in lists.items():
        figures.update(timed(name, median_ms(call, sizes.page_runs)))
    return figures


def reply(thread, membership, n: int) -> None:  # type: ignore[no-untyped-def]
    """The `n`th benchmark reply, as a web worker would post it: validate, render and
    sanitize, then the service's checks and writes, then commit."""
    from community.extensions import db
    from community.forums import actions

    body = actions.prepare_body(f"{BODIES[n % 4]} (#{n})")
    actions.check_create_post(thread, membership, body=body)
    db.session.commit()


def bench_posting_at_once(backend: str, sizes: Sizes = FULL) -> dict[str, float]:
    """bench/concurrent_posting.py, in a process of its own under gevent's patching."""
    command = [sys.executable, "-m", "gevent.monkey", "--module", "bench.concurrent_posting",
               "--backend", backend, "--posts", str(sizes.posts),
               "--rounds", str(sizes.rounds), "--posters", str(sizes.posters)]
    run = subprocess.run(command, capture_output=True, text=True,  # nosec B603 # our own
                         check=False, cwd=Path(__file__).resolve().parent.parent)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-4000:]}")
    figures: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return figures


def bench_posting(app, ids: dict[str, Any],  # type: ignore[no-untyped-def]
                  count: int = 2000, rounds: int = 5) -> dict[str, float]:
    """validate + render + sanitize + store + record event + commit, one post per commit.

    `count` posts in `rounds` rounds; the figures are the median round's, with the
    slowest and the fastest round beside them: on a shared VM one slow stretch should
    show as a spread, not move the headline."""
    from community import text
    from community.extensions import db
    from community.forums import actions
    from community.forums.models import Thread
    from community.spaces.models import Membership

    rendering = [0.0]
    original = text.render_markdown

    def timed_render(source: str, **kwargs: Any) -> str:
        start = time.perf_counter()
        try:
            return original(source, **kwargs)
        finally:
            rendering[0] += time.perf_counter() - start

    with app.app_context():
        membership = db.session.get(Membership, ids["membership_ids"][1])
        thread, _ = actions.check_create_thread(membership.space, membership,
                                                title="Posting benchmark", body="Start")
        db.session.commit()
        thread_id, membership_id = thread.id, membership.id
    per_round = count // rounds
    measured: list[tuple[float, float, float]] = []  # (elapsed, cpu, rendering) per round
    text.render_markdown = timed_render
    try:
        with app.app_context():
            # The thread and the poster's membership as the previous post's commit left
            # them, expired: the service reads them afresh, with the space, each time.
            thread = db.session.get(Thread, thread_id)
            membership = db.session.get(Membership, membership_id)
            db.session.commit()
            for r in range(rounds):
                rendering[0] = 0.0
                start, cpu_start = time.perf_counter(), time.process_time()
                for n in range(r * per_round, (r + 1) * per_round):
                    reply(thread, membership, n)
                measured.append((time.perf_counter() - start, time.process_time() - cpu_start,
                                 rendering[0]))
    finally:
        text.render_markdown = original
    measured.sort()
    elapsed, cpu, rendered = measured[len(measured) // 2]
    return {"posts per second": per_round / elapsed,
            "posts per second, slowest round": per_round / measured[-1][0],
            "posts per second, fastest round": per_round / measured[0][0],
            "posts per second of CPU time": per_round / cpu,
            "share of time in Markdown + bleach (%)": 100 * rendered / elapsed,
            # The same work in every run: how fast the machine ran at the time.
            "Markdown + bleach per post": 1000 * rendered / per_round,
            "ms per post": 1000 * elapsed / per_round,
            "ms per post, CPU": 1000 * cpu / per_round}


def run(backend: str, sizes: Sizes = FULL) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        app, pg_name = make_app(backend, Path(folder))
        try:
            ids = seed(app)
            figures = bench_posting(app, ids, sizes.posts, sizes.rounds)
            figures.update(bench_posting_at_once(backend, sizes))
            figures.update(bench_pages(app, ids, sizes))
            with app.app_context():
                from community.extensions import db
                db.engine.dispose()
            return figures
        finally:
            drop_database(pg_name)


def write_results(results: dict[str, dict[str, float]]) -> None:
    names = list(next(iter(results.values())))
    backends = list(results)
    lines = ["| measurement | " + " | ".join(backends) + " |",
             "| --- | " + " | ".join("---:" for _ in backends) + " |"]
    for name in names:
        unit = "" if "second" in name or "%" in name else " ms"
        cells = [f"{results[b][name]:.{2 if results[b][name] < 10 else 1}f}{unit}"
                 for b in backends]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    machine = (f"{platform.platform()}, Python {platform.python_version()}, "
               f"{os.cpu_count()} cores; SQLite {__import__('sqlite3').sqlite_version}")
    text = RESULTS.read_text() if RESULTS.exists() else ""
    marker = "<!-- figures -->"
    table = (f"{marker}\nLast run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}; "
             f"load average at the end {load_average()}.\n\n"
             + "\n".join(lines) + f"\n{marker}")
    if text.count(marker) == 2:
        head, _old, tail = text.split(marker)
        RESULTS.write_text(head + table + tail)
    else:
        RESULTS.write_text(text + "\n" + table + "\n")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: the machine is shared, so say how busy."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument("--skip-moderation", action="store_true",
                        help="only the forum benchmarks (bench.moderation runs after them)")
    parser.add_argument("--smoke", action="store_true",
                        help="small sizes, to check that everything runs; writes nothing")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    recording = not (args.no_write or args.smoke)
    results: dict[str, dict[str, float]] = {}
    for backend in args.backends.split(","):
        print(f"== {backend} (load average before: {load_average()})", flush=True)
        results[backend] = run(backend, sizes)
        print(f"   load average after: {load_average()}", flush=True)
        for name, value in results[backend].items():
            print(f"  {name:55s} {value:10.2f}", flush=True)
    if recording:
        write_results(results)
        print(f"wrote {RESULTS}")
    if not args.skip_moderation:
        from bench import moderation

        figures = {}
        for backend in args.backends.split(","):
            figures[backend] = moderation.measure(backend, sizes)
            moderation.report(backend, figures[backend])
        if recording:
            moderation.write(figures, moderation.NOTES)


if __name__ == "__main__":
    main()
