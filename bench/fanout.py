"""Live fan-out benchmark: HTTP POST sent -> `event` received, for every recipient.

    python -m bench.fanout                    # every workload, appends to bench/RESULTS.md
    python -m bench.fanout --workloads w1 w3 --no-write
    python -m bench.fanout --workloads capacity --capacity-steps 1000 2000 5000

The server runs as `community serve` does (gevent, community.serve) on PostgreSQL. Members
are written straight into the database (cheap password hashes, memberships, acceptances,
one API token each); the load client is Node's socket.io-client over WebSocket
(bench/fanout_client.js, several connections per process; `npm ci` installs it). Posts go
through the HTTP API with a facilitator's token; each body carries a marker, and the
client notes when each connection received it. Set FANOUT_DUMP=<file> to keep each post's
send time and sorted latencies (to see whether a tail is a few slow posts or all of them).
With py-spy installed (not a dependency), FANOUT_PYSPY=<file> samples the server during
the posting phase and FANOUT_PYSPY_RESTART=<file> the restarted process during catch-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("COMMUNITY_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("COMMUNITY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "# Live fan-out benchmarks"
ORIGIN = "http://bench.community.test"
SECRET = "bench-secret-key-that-is-long-enough-for-production"
CLIENT_JS = Path(__file__).with_name("fanout_client.js")
WARMUP_S = 2.0  # seconds of untimed posts before each workload's timed ones


def raise_nofile(limit: int = 65536) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the database -----------------------------------------------------------------------

class Database:
    """A PostgreSQL database of this run, migrated, with spaces of members and tokens."""

    def __init__(self) -> None:
        self.name = f"community_fanout_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        admin.dispose()
        self.url = str(sa.make_url(POSTGRES_URL).set(database=self.name))
        self.workdir = Path(tempfile.mkdtemp(prefix="fanout-"))

    def drop(self) -> None:
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin.dispose()

    def seed(self, spaces: int, members_per_space: int) -> dict[str, Any]:
        """`spaces` spaces, each with a facilitator, a thread and its members; tokens."""
        from flask_migrate import upgrade

        from community import create_app
        from community.accounts.models import ApiToken, User
        from community.extensions import db
        from community.forums.models import Thread
        from community.security import hash_token
        from community.spaces.models import Acceptance, Agreement, Membership, Space

        app = create_app({"DATABASE_URL": self.url, "SECRET_KEY": SECRET,
                          "INSTANCE_PATH": str(self.workdir / "instance"),
                          "BASE_URL": ORIGIN})
        now = datetime.now(UTC)
        people = spaces * (members_per_space + 1)
        with app.app_context():
            upgrade()
            with db.engine.begin() as conn:
                conn.execute(sa.insert(User), [
                    {"email": f"u{n}@bench.example", "display_name": f"User {n}",
                     "password_hash": "x", "is_admin": False, "status": "active",
                     "session_version": 1, "created_at": now} for n in range(people)])
                users = [r[0] for r in conn.execute(sa.select(User.id).order_by(User.id))]
                conn.execute(sa.insert(Space), [
                    {"slug": f"s{n}", "name": f"Space {n}", "purpose": "",
                     "join_policy": "invite", "anonymity": "pseudonyms_allowed",
                     "moderation_policy": "post", "created_at": now} for n in range(spaces)])
                space_ids = [r[0] for r in conn.execute(sa.select(Space.id).order_by(Space.id))]
                memberships = []
                for i, space_id in enumerate(space_ids):
                    block = users[i * (members_per_space + 1):(i + 1) * (members_per_space + 1)]
                    memberships += [{"user_id": u, "space_id": space_id,
                                     "role": "facilitator" if j == 0 else "member",
                                     "state": "active", "pseudonym": None,
                                     "show_presence": True, "joined_at": now}
                                    for j, u in enumerate(block)]
                conn.execute(sa.insert(Membership), memberships)
                conn.execute(sa.insert(Agreement), [
                    {"space_id": s, "version": 1, "title": "x", "body_source": "x",
                     "body_html": "<p>x</p>", "published_at": now} for s in [None, *space_ids]])
                agreements = {s: a for a, s in conn.execute(
                    sa.select(Agreement.id, Agreement.space_id))}
                conn.execute(sa.insert(Acceptance), [
                    {"user_id": m["user_id"], "agreement_id": agreements[key], "accepted_at": now}
                    for m in memberships for key in (None, m["space_id"])])
                member_ids = {(s, u): mid for mid, s, u in conn.execute(
                    sa.select(Membership.id, Membership.space_id, Membership.user_id))}
                conn.execute(sa.insert(Thread), [
                    {"space_id": m["space_id"], "author_id": member_ids[(m["space_id"],
                                                                        m["user_id"])],
                     "kind": "discussion", "title": "Bench", "state": "published",
                     "pinned": False, "locked": False, "replies_allowed": True,
                     "post_count": 0, "last_post_id": 0, "last_post_at": now, "created_at": now}
                    for m in memberships if m["role"] == "facilitator"])
                threads = {s: t for s, t in conn.execute(sa.select(Thread.space_id, Thread.id))}
                tokens = {u: f"cc_{secrets.token_urlsafe(24)}" for u in users}
                conn.execute(sa.insert(ApiToken), [
                    {"user_id": u, "name": "bench", "token_hash": hash_token(t),
                     "prefix": t[:8], "created_at": now} for u, t in tokens.items()])
        plan: dict[str, Any] = {"spaces": []}
        for i, space_id in enumerate(space_ids):
            block = memberships[i * (members_per_space + 1):(i + 1) * (members_per_space + 1)]
            plan["spaces"].append({
                "space_id": space_id, "thread_id": threads[space_id],
                "facilitator": tokens[block[0]["user_id"]],
                "members": [tokens[m["user_id"]] for m in block[1:]]})
        return plan


# --- processes ----------------------------------------------------------------------------

class Served:
    """`community serve`'s process (gevent) on a free port."""

    def __init__(self, db: Database, *, redis_channel: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")}
        env.update({"COMMUNITY_DATABASE_URL": db.url, "COMMUNITY_SECRET_KEY": SECRET,
                    "COMMUNITY_INSTANCE_PATH": str(db.workdir / "instance"),
                    "COMMUNITY_BASE_URL": self.url, "COMMUNITY_ALLOWED_ORIGINS": ORIGIN,
                    "COMMUNITY_POST_RATE_LIMIT": "1000000 per minute"})
        if redis_channel:
            env["COMMUNITY_REDIS_URL"] = REDIS_URL
            env["COMMUNITY_SOCKETIO_CHANNEL"] = redis_channel
        self.env = env
        self.log = db.workdir / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gevent.monkey", "--module", "community.serve",
                "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> Served:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command(), env=self.env, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                requests.get(f"{self.url}/sign-in", timeout=10)
                return self
            except requests.RequestException:  # not listening yet, or slow to answer
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("server did not start")

    def rss_kb(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_s(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class LoadClients:
    """Node processes, each holding a share of the connections."""

    def __init__(self, urls: list[str], members: list[dict[str, Any]], processes: int,
                 *, script: Path = CLIENT_JS, batch: int = 50) -> None:
        self.procs = []
        for k in range(processes):
            share = members[k::processes]
            proc = subprocess.Popen(["node", str(script)], cwd=ROOT, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, preexec_fn=raise_nofile)
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"urls": urls, "origin": ORIGIN, "members": share,
                                         "batch": batch}) + "\n")
            proc.stdin.flush()
            self.procs.append(proc)

    def wait_ready(self, timeout: float = 900) -> float:
        started = time.monotonic()
        for proc in self.procs:
            line = ""
            while not line.startswith("READY"):
                assert proc.stdout is not None
                line = proc.stdout.readline()
                if not line or time.monotonic() - started > timeout:
                    raise RuntimeError("load client did not get ready")
        return time.monotonic() - started

    def finish(self) -> tuple[list[dict[str, Any]], float]:
        conns, cpu = [], 0.0
        for proc in self.procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("DONE\n")
            proc.stdin.flush()
            out = json.loads(proc.stdout.readline())
            conns += out["conns"]
            cpu += out["cpu_s"]
            proc.wait(timeout=30)
        return conns, cpu

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()


# --- posting and measuring ------------------------------------------------------------------

def post_schedule(server: Served, jobs: list[tuple[str, int, float]],
                  sent: dict[str, float], first: int = 0, label: str = "bench") -> list[str]:
    """jobs: (token, thread_id, offset s); posts `<label>-<n>` at its offset; returns errors.
    The load client times only `bench-<n>`."""
    errors: list[str] = []
    session = threading.local()
    start = time.time() + 0.2

    def one(n: int, token: str, thread_id: int, offset: float) -> None:
        delay = start + offset - time.time()
        if delay > 0:
            time.sleep(delay)
        http = getattr(session, "http", None) or requests.Session()
        session.http = http
        sent[str(n)] = time.time() * 1000
        try:
            answer = http.post(f"{server.url}/api/v1/threads/{thread_id}/posts", timeout=30,
                               headers={"Authorization": f"Bearer {token}"},
                               json={"body": f"Post {label}-{n} for the live fan-out benchmark."})
        except requests.RequestException as exc:
            errors.append(repr(exc))
            del sent[str(n)]  # never posted: nobody should receive it
            return
        if answer.status_code != 201:
            errors.append(f"{answer.status_code} {answer.text[:200]}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda a: one(*a), [(first + n, *job) for n, job in enumerate(jobs)]))
    return errors


def measure(conns: list[dict[str, Any]], sent: dict[str, float],
            expected: list[set[str]]) -> dict[str, Any]:
    latencies, lost, dups = [], 0, 0
    for conn, wanted in zip(conns, expected, strict=True):
        dups += conn["dups"]
        for marker in wanted:
            when = conn["got"].get(marker)
            if when is None:
                lost += 1
            else:
                latencies.append(when - sent[marker])
    dump = os.environ.get("FANOUT_DUMP")  # a file: each post's send time and latencies
    if dump:
        per: dict[str, list[float]] = {}
        for conn, wanted in zip(conns, expected, strict=True):
            for marker in wanted:
                if marker in conn["got"]:
                    per.setdefault(marker, []).append(conn["got"][marker] - sent[marker])
        Path(dump).write_text(json.dumps({"sent": sent, **{m: sorted(v) for m, v in per.items()}}))
    return {"deliveries": len(latencies), "lost": lost, "duplicated": dups,
            "p50_ms": pct(latencies, 50), "p95_ms": pct(latencies, 95),
            "p99_ms": pct(latencies, 99), "max_ms": max(latencies, default=float("nan"))}


def run_fanout(name: str, spaces: int, per_space: int, rate_per_space: float, seconds: float,
               *, processes: int = 1, clients: int = 2, kill_at: float | None = None,
               web: bool = False) -> dict[str, Any]:
    """`web`: posts go to a process of their own (the scaled layout's web worker), which
    publishes through Redis; the realtime processes only deliver."""
    db = Database()
    servers: list[Served] = []
    load = None
    try:
        plan = db.seed(spaces, per_space)
        channel = f"fanout-{uuid.uuid4().hex[:8]}" if processes > 1 or web else None
        for _ in range(processes):
            servers.append(Served(db, redis_channel=channel).start())
        if web:
            servers.append(Served(db, redis_channel=channel).start())
        poster = servers[-1] if web else servers[0]
        urls = [s.url for s in servers[:processes]]
        members, expected_spaces = [], []
        for space_index, space in enumerate(plan["spaces"]):
            for token in space["members"]:
                members.append({"token": token, "space_id": space["space_id"],
                                "url_index": len(members) % processes})
                expected_spaces.append(space_index)
        load = LoadClients(urls, members, clients)
        ready_s = load.wait_ready()
        profile = os.environ.get("FANOUT_PYSPY")  # a file: py-spy samples the posting phase
        if profile:
            subprocess.Popen(["py-spy", "record", "-p", str(servers[0].process.pid),
                              "-d", str(int(seconds) + 3), "-r", "100", "-f", "raw",
                              "--nonblocking", "-o", profile], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        rss_idle = sum(s.rss_kb() for s in servers)
        jobs, owner, warmup = [], [], []
        count = int(rate_per_space * seconds)
        # Each space's poster keeps its own rhythm, as independent people do: a phase
        # drawn once per space (seeded, so runs compare). All posters firing within the
        # same millisecond would measure a burst queueing in one process instead.
        phases = random.Random(7).random
        phase = [0.0] + [phases() / rate_per_space for _ in plan["spaces"][1:]]
        for k in range(count):
            for space_index, space in enumerate(plan["spaces"]):
                jobs.append((space["facilitator"], space["thread_id"],
                             k / rate_per_space + phase[space_index]))
                owner.append(space_index)
        for k in range(int(rate_per_space * WARMUP_S)):
            for space_index, space in enumerate(plan["spaces"]):
                warmup.append((space["facilitator"], space["thread_id"],
                               k / rate_per_space + phase[space_index]))
        # A server fresh from its start compiles its SQL, prepares statements and opens
        # pooled connections on the first posts, and the poster opens its connections:
        # the same traffic for WARMUP_S first, not timed (the first posts on a cold
        # process take up to ~200 ms; a running server is warm).
        post_schedule(poster, warmup, {}, label="warmup")
        time.sleep(1)
        cpu_before = sum(s.cpu_s() for s in servers)
        sent: dict[str, float] = {}
        restart = {}
        if kill_at is not None:
            def crash_and_restart() -> None:
                time.sleep(kill_at)
                servers[0].kill()
                killed = time.time()
                servers[0].start()
                restart["down_s"] = time.time() - killed
                restart["up_at_ms"] = time.time() * 1000
                if os.environ.get("FANOUT_PYSPY_RESTART"):
                    subprocess.Popen(["py-spy", "record", "-p", str(servers[0].process.pid),
                                      "-d", "12", "-r", "200", "-f", "raw", "--nonblocking",
                                      "-o", os.environ["FANOUT_PYSPY_RESTART"]],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            killer = threading.Thread(target=crash_and_restart)
            killer.start()
        errors = post_schedule(poster, jobs, sent)
        if kill_at is not None:
            killer.join()
        time.sleep(3 if kill_at is None else 15)
        cpu_server = sum(s.cpu_s() for s in servers) - cpu_before  # web process included
        conns, client_cpu = load.finish()
        markers_by_space: dict[int, set[str]] = {}
        for n, space_index in enumerate(owner):
            if str(n) in sent:
                markers_by_space.setdefault(space_index, set()).add(str(n))
        # Each load process reports its own share of the members, in its own order: match
        # every connection to its space by the space id it reports.
        index_of = {space["space_id"]: i for i, space in enumerate(plan["spaces"])}
        expected = [markers_by_space.get(index_of[c["space_id"]], set()) for c in conns]
        figures = measure(conns, sent, expected)
        figures.update({"workload": name, "connections": len(members), "posts": len(sent),
                        "subscribe_errors": sum(c.get("subscribe_errors", 0) for c in conns),
                        "post_errors": len(errors), "server_cpu_s": round(cpu_server, 1),
                        "client_cpu_s": round(client_cpu, 1), "connect_s": round(ready_s, 1),
                        "rss_mb": round(rss_idle / 1024, 1), "load": load_average(),
                        "reconnects": sum(c["reconnects"] for c in conns)})
        if errors:
            figures["first_error"] = errors[0]
        if kill_at is not None:
            done = [max(c["got"].values()) for c, want in zip(conns, expected, strict=True)
                    if want and set(c["got"]) >= want]
            figures["caught_up"] = len(done)
            figures["catch_up_s"] = round((max(done) - restart["up_at_ms"]) / 1000, 1) \
                if done else None
            figures["down_s"] = round(restart.get("down_s", 0), 1)
        return figures
    finally:
        if load:
            load.kill()
        for server in servers:
            server.kill()
        db.drop()


def run_capacity(steps: list[int], clients: int) -> list[dict[str, Any]]:
    """Idle memory per connection, and four concurrent broadcasts to all, per step."""
    db = Database()
    rows = []
    try:
        plan = db.seed(1, max(steps))
        space = plan["spaces"][0]
        server = Served(db).start()
        try:
            base = server.rss_kb()
            connected, load_sets = 0, []
            for step in steps:
                members = [{"token": t, "space_id": space["space_id"], "url_index": 0}
                           for t in space["members"][connected:step]]
                load = LoadClients([server.url], members, clients)
                load_sets.append(load)
                load.wait_ready(600)
                connected = step
                time.sleep(2)
                rss = server.rss_kb()
                sent: dict[str, float] = {}
                jobs = [(space["facilitator"], space["thread_id"], 0.0)] * 4
                errors = post_schedule(server, jobs, sent, first=len(rows) * 4)
                time.sleep(max(5, step / 500))
                rows.append({"step": step, "rss": rss, "sent": sent, "errors": len(errors)})
            results = []
            all_conns, cpu = [], 0.0
            for load in load_sets:
                conns, c = load.finish()
                all_conns += conns
                cpu += c
            for row in rows:
                present = all_conns[:row["step"]]
                lat, lost = [], 0
                for conn in present:
                    for marker, when_sent in row["sent"].items():
                        got = conn["got"].get(marker)
                        if got is None:
                            lost += 1
                        else:
                            lat.append(got - when_sent)
                results.append({"connections": row["step"],
                                "kb_per_connection": round((row["rss"] - base) / row["step"], 1),
                                "broadcast_p50_ms": pct(lat, 50), "broadcast_p95_ms": pct(lat, 95),
                                "lost": lost, "load": load_average(), "client_cpu_s": cpu})
            return results
        finally:
            server.kill()
            for load in load_sets:
                load.kill()
    finally:
        db.drop()


WORKLOADS = {
    "w1": lambda a: run_fanout("W1 1,000 members, one space, 20 posts/s", 1, a.members, 20,
                               a.seconds, clients=a.clients),
    "w1web": lambda a: run_fanout("W1, posts through a web process + Redis", 1, a.members,
                                  20, a.seconds, clients=a.clients, web=True),
    "w2": lambda a: run_fanout("W2 10 spaces x 100, 2 posts/s each", 10, a.members // 10, 2,
                               a.seconds, clients=a.clients),
    "w3": lambda a: run_fanout("W3 W1 on two realtime processes + Redis", 1, a.members, 20,
                               a.seconds, processes=2, clients=a.clients),
    # Posts go through a web process + Redis (as in the scaled layout): the realtime
    # process is the one killed, and posting must not depend on it.
    "catchup": lambda a: run_fanout("Catch-up: W1, realtime process killed at 4 s and "
                                    "restarted", 1, a.members, 20, a.seconds,
                                    clients=a.clients, kill_at=4, web=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", default=[*WORKLOADS, "capacity"],
                        choices=[*WORKLOADS, "capacity"])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=2, help="Node load-client processes")
    parser.add_argument("--capacity-steps", type=int, nargs="+", default=[1000, 2000, 3000, 5000])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    raise_nofile()
    print(f"load average before: {load_average()}", flush=True)
    results: list[dict[str, Any]] = []
    for name in args.workloads:
        if name == "capacity":
            for row in run_capacity(args.capacity_steps, args.clients):
                row["workload"] = "Capacity"
                print(json.dumps(row), flush=True)
                results.append(row)
        else:
            row = WORKLOADS[name](args)
            print(json.dumps(row), flush=True)
            results.append(row)
    if not args.no_write:
        write_results(results)


def write_results(results: list[dict[str, Any]]) -> None:
    lines = [f"\n## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
             f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"load average at the end {load_average()})\n",
             "| workload | conns | posts | p50 ms | p95 ms | p99 ms | lost | dup | server CPU s "
             "| load client CPU s | load avg |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r["workload"] == "Capacity":
            lines.append(f"| Capacity, 4 broadcasts to all | {r['connections']} | 4 "
                         f"| {r['broadcast_p50_ms']:.0f} | {r['broadcast_p95_ms']:.0f} | - "
                         f"| {r['lost']} | - | - | {r['client_cpu_s']:.1f} | {r['load']} |"
                         f" {r['kb_per_connection']} KB/conn")
            continue
        extra = ""
        if "catch_up_s" in r:
            extra = (f" caught up {r['caught_up']}/{r['connections']} "
                     f"{r['catch_up_s']} s after restart")
        lines.append(f"| {r['workload']} | {r['connections']} | {r['posts']} "
                     f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['lost']} "
                     f"| {r['duplicated']} | {r['server_cpu_s']} | {r['client_cpu_s']} "
                     f"| {r['load']} |{extra}")
    text = RESULTS.read_text() if RESULTS.exists() else ""
    if HEADING not in text:
        text += f"\n{HEADING}\n\n(see docs/realtime.md, \"Choosing the server\")\n"
    RESULTS.write_text(text + "\n".join(lines) + "\n")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
