"""Soak: live members, posters, flags and queue work for minutes on the scaled layout.

    python -m bench.soak                                   # 10 min, 500 members; RESULTS.md
    python -m bench.soak --minutes 1 --members 100 --posters 10 --no-write  # a smoke run

The layout is docs/realtime.md's scaled one: gunicorn web workers take every HTTP request
and publish through Redis; two realtime processes (`community.serve`, gevent) hold the
live connections, members split between them; PostgreSQL holds the data. Redis is a
private `redis-server` of this run (so that INFO memory is ours alone) unless
--redis-url names one.

Members are written straight into the database (bench.fanout's seed: spaces, one
facilitator each, members, accepted agreements, API tokens). Every member and facilitator
connects with Node's socket.io-client (bench/soak_client.js) and subscribes to their
space. Then, for --minutes: --posters members post at random intervals through the HTTP
API; members flag recent posts (half of them twice, which hides the post); each
space's facilitator reads the queue, claims items and approves, rejects or removes them;
a reader pages through threads. Every load-client connection checks each event id as it
arrives (duplicates, order); at the end what each received is compared with the events
the database holds for its audiences (space, its own user, facilitators): lost,
unexpected and duplicated must all be 0. Every --sample seconds the RSS of each server
process and Redis's INFO memory are sampled; memory is flat when it grew less than 10 %
(or 2 MB) from the end of the warm-up to the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from bench.fanout import (
    ROOT,
    Database,
    LoadClients,
    Served,
    free_port,
    load_average,
    pct,
    raise_nofile,
)

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "# Soak"
MARKER = "<!-- soak figures -->"
CLIENT_JS = Path(__file__).with_name("soak_client.js")
FLAG_REASONS = ["off_topic", "spam", "disrespectful", "other", "confidentiality"]
# Answers the soak provokes by races it does not avoid, as real members would: a member
# flags a post that was hidden (404: members no longer see it) or removed (409) a moment
# before; a facilitator acts on an item that another member's flag changed since the
# facilitator read it (every flag bumps the item's version: the 409 carries the item, still
# pending, at a newer version, and the facilitator acts again on that). Anything else that
# is not 2xx is an error.
EXPECTED = {("flag", 404, "not_found"), ("flag", 409, "not_flaggable")}
CHANGED_MEANWHILE = "changed_meanwhile"
GROWTH_LIMIT, GROWTH_FLOOR_MB = 0.10, 2.0


# --- processes ------------------------------------------------------------------------------

def proc_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class Redis:
    """A private redis-server on a free port, or an existing one by URL (then INFO memory
    counts everything else it holds too)."""

    def __init__(self, url: str | None, workdir: Path) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        if url:
            self.url = url
        else:
            port = free_port()
            self.url = f"redis://127.0.0.1:{port}/0"
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(workdir)],
                stdout=(workdir / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        import redis

        self.client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def memory(self) -> dict[str, float]:
        info = self.client.info("memory")
        return {"used_mb": info["used_memory"] / 2**20, "rss_mb": info["used_memory_rss"] / 2**20}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class WebWorkers(Served):
    """gunicorn with sync workers, as the scaled layout runs the web side."""

    def __init__(self, db: Database, channel: str, workers: int) -> None:
        super().__init__(db, redis_channel=channel)
        self.workers = workers

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
                "community:create_app()"]

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return children_of(self.process.pid)

    def rss_kb(self) -> int:
        assert self.process is not None
        return sum(proc_rss_kb(p) for p in [self.process.pid, *self.worker_pids()])

    def cpu_s(self) -> float:
        assert self.process is not None
        return sum(proc_cpu_s(p) for p in [self.process.pid, *self.worker_pids()])

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            workers = self.worker_pids()
            self.process.terminate()  # gunicorn stops its workers on SIGTERM
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            for pid in workers:
                if Path(f"/proc/{pid}").exists():
                    os.kill(pid, signal.SIGKILL)


def server_env(server: Served, redis_url: str) -> Served:
    """Our Redis, and the default posting rate limit (the soak's posters stay under it)."""
    server.env["COMMUNITY_REDIS_URL"] = redis_url
    server.env.pop("COMMUNITY_POST_RATE_LIMIT", None)
    return server


# --- HTTP ----------------------------------------------------------------------------------

class Http:
    """Every request the soak makes, counted by what it was and how it was answered."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, int]] = Counter()
        self.expected: Counter[tuple[str, int, str]] = Counter()
        self.errors: list[str] = []
        self.error_count = 0
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.local = threading.local()

    def call(self, kind: str, method: str, path: str, token: str,
             body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        started = time.perf_counter()
        try:
            answer = session.request(method, self.base + path, json=body, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            self._error(f"{kind} {method} {path}: {exc!r}")
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.answers[(kind, answer.status_code)] += 1
            self.ms[kind].append(elapsed)
        if 200 <= answer.status_code < 300:
            return answer.json()
        try:
            error = answer.json()["error"]
            code = error["code"]
        except (ValueError, KeyError, TypeError):
            error, code = {}, ""
        item = error.get("item") or {}
        if answer.status_code == 409 and code == "conflict" and body and "version" in body \
                and item.get("state") == "pending" and item.get("version", 0) > body["version"]:
            with self.lock:
                self.expected[(kind, 409, CHANGED_MEANWHILE)] += 1
            return {CHANGED_MEANWHILE: item}
        if (kind, answer.status_code, code) in EXPECTED:
            with self.lock:
                self.expected[(kind, answer.status_code, code)] += 1
            return None
        self._error(f"{kind} {method} {path}: {answer.status_code} {answer.text[:300]}")
        return None

    def _error(self, text: str) -> None:
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 20:
                self.errors.append(text)
            print(f"  HTTP error: {text}", flush=True)

    def requests_made(self) -> int:
        return sum(self.answers.values())


# --- the members' activity -------------------------------------------------------------------

@dataclass
class SpacePlan:
    space_id: int
    thread_id: int
    facilitator: str
    members: list[str]  # tokens
    posters: list[str]


@dataclass
class Activity:
    """Posters, flaggers, facilitators and a reader, each in threads, until `stop`."""

    http: Http
    spaces: list[SpacePlan]
    post_interval: tuple[float, float]
    flag_every: float
    reads_per_s: float
    seed: int
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (when, space index, post id, author token) of published posts
    posts: list[tuple[float, int, int, str]] = field(default_factory=list)
    post_states: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    counter: int = 0

    def threads(self) -> list[threading.Thread]:
        work: list[tuple[Any, tuple[Any, ...]]] = []
        for s, space in enumerate(self.spaces):
            work += [(self.poster, (s, token, k)) for k, token in enumerate(space.posters)]
            work.append((self.facilitator, (s,)))
        work.append((self.flagger, ()))
        if self.reads_per_s > 0:
            work.append((self.reader, ()))
        return [threading.Thread(target=fn, args=args, daemon=True) for fn, args in work]

    def poster(self, s: int, token: str, k: int) -> None:
        rng = random.Random(f"{self.seed}-poster-{s}-{k}")
        space = self.spaces[s]
        lo, hi = self.post_interval
        if self.stop.wait(rng.uniform(0, hi)):
            return
        while True:
            with self.lock:
                self.counter += 1
                n = self.counter
            answer = self.http.call("post", "POST", f"/api/v1/threads/{space.thread_id}/posts",
                                    token, {"body": f"Soak post soak-{n}: what I learnt at the "
                                                    "job fair and what I will try next."})
            if answer is not None:
                post = answer["post"]
                with self.lock:
                    self.post_states[post["state"]] += 1
                    if post["state"] == "published":
                        self.posts.append((time.monotonic(), s, post["id"], token))
            if self.stop.wait(rng.uniform(lo, hi)):
                return

    def flagger(self) -> None:
        """Every `flag_every` s a recent post not flagged yet gets one flag, or two (which
        hides it), from members of its space other than its author."""
        rng = random.Random(f"{self.seed}-flagger")
        flagged: set[int] = set()
        while not self.stop.wait(self.flag_every):
            with self.lock:
                recent = [p for p in self.posts[-200:] if p[2] not in flagged
                          and time.monotonic() - p[0] < 120]
            if not recent:
                continue
            _when, s, post_id, author = rng.choice(recent)
            flagged.add(post_id)
            others = [t for t in self.spaces[s].members if t != author]
            for token in rng.sample(others, 2 if rng.random() < 0.5 else 1):
                reason = "safety" if rng.random() < 0.05 else rng.choice(FLAG_REASONS)
                if self.http.call("flag", "POST", f"/api/v1/posts/{post_id}/flags", token,
                                  {"reason": reason, "note": "Soak flag."}) is not None:
                    with self.lock:
                        self.flags[reason] += 1

    def facilitator(self, s: int) -> None:
        """Reads the space's queue every few seconds; claims and decides up to five items."""
        rng = random.Random(f"{self.seed}-facilitator-{s}")
        space = self.spaces[s]
        while not self.stop.wait(rng.uniform(3, 8)):
            queue = self.http.call("queue", "GET", f"/api/v1/spaces/{space.space_id}/queue"
                                   "?limit=10", space.facilitator)
            for item in (queue or {"items": []})["items"][:5]:
                if self.stop.is_set():
                    return
                claimed = self.act(space, item, "claim", {})
                if claimed is None:
                    continue
                roll = rng.random()
                verb = "approve" if roll < 0.6 else "reject" if roll < 0.8 else "remove"
                if self.act(space, claimed, verb, {} if verb == "approve"
                            else {"reason": "Soak decision."}) is not None:
                    with self.lock:
                        self.decisions[verb] += 1

    def act(self, space: SpacePlan, item: dict[str, Any], verb: str,
            body: dict[str, Any]) -> dict[str, Any] | None:
        """A queue transition at the version seen; once more at the newer version when a
        flag changed the item meanwhile (the queue page shows the fresh item likewise)."""
        for _attempt in range(2):
            answer = self.http.call(verb, "POST", f"/api/v1/queue/{item['id']}/{verb}",
                                    space.facilitator, {**body, "version": item["version"]})
            if answer is None or CHANGED_MEANWHILE not in answer:
                return answer
            item = answer[CHANGED_MEANWHILE]
        return None

    def reader(self) -> None:
        rng = random.Random(f"{self.seed}-reader")
        while not self.stop.wait(1 / self.reads_per_s):
            space = rng.choice(self.spaces)
            self.http.call("read", "GET", f"/api/v1/threads/{space.thread_id}/posts?limit=50",
                           rng.choice(space.members))


# --- memory ---------------------------------------------------------------------------------

class Sampler(threading.Thread):
    """RSS of every server process, Redis INFO memory, the load clients, the load average."""

    def __init__(self, every: float, procs: dict[str, Any], redis: Redis,
                 clients: LoadClients, progress: Any) -> None:
        super().__init__(daemon=True)
        self.every, self.procs, self.redis = every, procs, redis
        self.clients, self.progress = clients, progress
        self.samples: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.started = time.monotonic()

    def sample(self) -> dict[str, Any]:
        row: dict[str, Any] = {"t": time.monotonic() - self.started,
                               "load": os.getloadavg()[0]}
        for name, proc in self.procs.items():
            row[name] = proc.rss_kb() / 1024
        redis = self.redis.memory()
        row["redis used"], row["redis rss"] = redis["used_mb"], redis["rss_mb"]
        row["load clients"] = sum(proc_rss_kb(p.pid) for p in self.clients.procs) / 1024
        self.samples.append(row)
        return row

    def run(self) -> None:
        while True:
            row = self.sample()
            self.progress(row)
            if self.stop.wait(self.every):
                return


def flatness(samples: list[dict[str, Any]], name: str, warmup_s: float) -> dict[str, Any]:
    """Start / end / max over the run; growth and slope after the warm-up."""
    series = [(r["t"], r[name]) for r in samples]
    after = [(t, v) for t, v in series if t >= warmup_s] or series
    head = statistics.median(v for _t, v in after[:3])
    tail = statistics.median(v for _t, v in after[-3:])
    growth = tail - head
    slope = 0.0
    if len(after) > 1:
        mean_t = statistics.fmean(t for t, _v in after)
        mean_v = statistics.fmean(v for _t, v in after)
        den = sum((t - mean_t) ** 2 for t, _v in after)
        slope = sum((t - mean_t) * (v - mean_v) for t, v in after) / den * 600 if den else 0.0
    return {"start": series[0][1], "end": series[-1][1], "max": max(v for _t, v in series),
            "after_warmup": head, "growth_mb": growth,
            "growth_pct": growth / head * 100 if head else 0.0, "slope_mb_per_10min": slope,
            "flat": growth < max(GROWTH_LIMIT * head, GROWTH_FLOOR_MB)}


# --- what everyone should have received ------------------------------------------------------

def compare(db_url: str, conns: list[dict[str, Any]],
            facilitators: set[int]) -> dict[str, Any]:
    """Each connection's events against the database's: lost, unexpected, duplicated, and
    the delay from the event row's creation to its arrival."""
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, space_id, audience, type, created_at FROM events ORDER BY id")).all()
    engine.dispose()
    stored: dict[tuple[int, str], list[int]] = defaultdict(list)
    created: dict[int, float] = {}
    types: Counter[str] = Counter()
    for event_id, space_id, audience, kind, created_at in rows:
        stored[(space_id, audience)].append(event_id)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        created[event_id] = created_at.timestamp() * 1000
        types[kind] += 1
    lost = unexpected = dups = out_of_order = 0
    deliveries, delays, worst = 0, [], []
    for c in conns:
        audiences = ["space", f"user:{c['user_id']}"]
        if c["user_id"] in facilitators:
            audiences.append("facilitators")
        start = c["start_id"] or 0
        wanted = {i for a in audiences for i in stored[(c["space_id"], a)] if i > start}
        got = dict(zip(c["ids"], c["times"], strict=True))
        missing = wanted - got.keys()
        extra = got.keys() - wanted
        lost += len(missing) if c["ready"] else len(wanted)
        unexpected += len(extra)
        dups += c["dups"]
        out_of_order += c["out_of_order"]
        if missing or extra:
            worst.append({"user_id": c["user_id"], "space_id": c["space_id"],
                          "missing": sorted(missing)[:10], "unexpected": sorted(extra)[:10]})
        for event_id in wanted & got.keys():
            deliveries += 1
            delays.append(got[event_id] - created[event_id])
    return {"events": len(rows), "event_types": dict(types), "deliveries": deliveries,
            "lost": lost, "unexpected": unexpected, "duplicated": dups,
            "out_of_order": out_of_order, "p50_ms": pct(delays, 50), "p95_ms": pct(delays, 95),
            "p99_ms": pct(delays, 99), "max_ms": max(delays, default=float("nan")),
            "worst": worst[:5]}


LOG_TROUBLE = re.compile(r"Traceback|\bERROR\b|CRITICAL|WORKER TIMEOUT|Exception")


def log_trouble(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        if path.exists():
            found += [f"{path.name}: {line.strip()}"
                      for line in path.read_text(errors="replace").splitlines()
                      if LOG_TROUBLE.search(line)]
    return found


# --- the run -----------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict[str, Any]:
    db = Database()
    servers: list[Served] = []
    redis: Redis | None = None
    load: LoadClients | None = None
    activity: Activity | None = None
    try:
        per_space = args.members // args.spaces
        plan = db.seed(args.spaces, per_space)
        ids = user_ids(db.url, plan)
        redis = Redis(args.redis_url, db.workdir)
        channel = f"soak-{uuid.uuid4().hex[:8]}"
        realtime = [server_env(Served(db, redis_channel=channel), redis.url).start()
                    for _ in range(2)]
        web = server_env(WebWorkers(db, channel, args.web_workers), redis.url).start()
        servers = [*realtime, web]
        worker_pids = web.worker_pids()
        print(f"web workers {worker_pids}, realtime {[s.process.pid for s in realtime]}, "
              f"redis {redis.url}; load average {load_average()}", flush=True)

        spaces, members, facilitators = [], [], set()
        per_space_posters = max(1, args.posters // args.spaces)
        for space in plan["spaces"]:
            spaces.append(SpacePlan(space["space_id"], space["thread_id"], space["facilitator"],
                                    space["members"], space["members"][:per_space_posters]))
            facilitators.add(ids[space["facilitator"]])
            for token in [space["facilitator"], *space["members"]]:
                members.append({"token": token, "space_id": space["space_id"],
                                "user_id": ids[token], "url_index": len(members) % 2})
        load = LoadClients([s.url for s in realtime], members, args.clients, script=CLIENT_JS)
        connect_s = load.wait_ready()
        print(f"{len(members)} connections subscribed in {connect_s:.0f} s; "
              f"load average {load_average()}", flush=True)

        http = Http(web.url)
        activity = Activity(http, spaces, (args.post_min_s, args.post_max_s), args.flag_every,
                            args.reads_per_s, args.seed)
        procs = {"realtime 1": realtime[0], "realtime 2": realtime[1], "web": web}

        def progress(row: dict[str, Any]) -> None:
            print(f"  {row['t']:5.0f} s  load {row['load']:.2f}  posts "
                  f"{sum(activity.post_states.values())}  flags {sum(activity.flags.values())}"
                  f"  decisions {sum(activity.decisions.values())}  HTTP errors "
                  f"{http.error_count}  RSS MB rt1 {row['realtime 1']:.1f} rt2 "
                  f"{row['realtime 2']:.1f} web {row['web']:.1f} redis "
                  f"{row['redis used']:.1f}/{row['redis rss']:.1f}", flush=True)

        cpu_before = {name: p.cpu_s() for name, p in procs.items()}
        sampler = Sampler(args.sample, procs, redis, load, progress)
        loads = [os.getloadavg()]
        sampler.start()
        workers = activity.threads()
        for thread in workers:
            thread.start()
        started = time.monotonic()
        activity.stop.wait(args.minutes * 60)
        activity.stop.set()
        for thread in workers:
            thread.join(timeout=90)
        run_s = time.monotonic() - started
        time.sleep(args.settle)  # the last events reach everyone
        sampler.stop.set()
        sampler.join()
        sampler.sample()
        loads.append(os.getloadavg())
        cpu = {name: p.cpu_s() - cpu_before[name] for name, p in procs.items()}
        conns, client_cpu = load.finish()
        figures = compare(db.url, conns, facilitators)

        alive = {name: p.process.poll() is None for name, p in procs.items()}
        restarted = sorted(set(web.worker_pids()) ^ set(worker_pids))
        warmup = min(120.0, 0.2 * args.minutes * 60)
        memory = {name: flatness(sampler.samples, name, warmup)
                  for name in [*procs, "redis used", "redis rss", "load clients"]}
        socket = {
            "connections": len(conns), "ready": sum(c["ready"] for c in conns),
            "reconnects": sum(c["reconnects"] for c in conns),
            "connect_errors": sum(c["connect_errors"] for c in conns),
            "subscribe_errors": sum(c["subscribe_errors"] for c in conns),
            "revoked": sum(c["revoked"] for c in conns),
            "disconnects": dict(sum((Counter(c["disconnects"]) for c in conns), Counter())),
            "first_errors": [e for c in conns for e in c["errors"]][:5]}
        return {
            "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}",
            "minutes": round(run_s / 60, 2), "spaces": args.spaces, "members": len(members),
            "posters": sum(len(s.posters) for s in spaces), "web_workers": args.web_workers,
            "connect_s": round(connect_s, 1),
            "posts": dict(activity.post_states), "flags": dict(activity.flags),
            "decisions": dict(activity.decisions),
            "http": {"requests": http.requests_made(), "errors": http.error_count,
                     "first_errors": http.errors[:5],
                     "expected": {" ".join(map(str, k)): v for k, v in http.expected.items()},
                     "answers": {f"{k} {s}": v for (k, s), v in sorted(http.answers.items())},
                     "p50_ms": {k: round(pct(v, 50)) for k, v in http.ms.items()},
                     "p95_ms": {k: round(pct(v, 95)) for k, v in http.ms.items()}},
            "socket": socket, "events": figures, "memory": memory,
            "server_cpu_s": {k: round(v, 1) for k, v in cpu.items()},
            "client_cpu_s": round(client_cpu, 1),
            "load": {"start": " ".join(f"{x:.2f}" for x in loads[0]),
                     "end": " ".join(f"{x:.2f}" for x in loads[1]),
                     "max_1min": round(max(r["load"] for r in sampler.samples), 2)},
            "processes_alive": alive, "web_workers_restarted": restarted,
            "log_trouble": log_trouble([s.log for s in servers]),
            "samples": sampler.samples,
        }
    finally:
        if activity:
            activity.stop.set()
        if load:
            load.kill()
        for server in servers:
            server.kill()
        if redis:
            redis.stop()
        db.drop()


def user_ids(db_url: str, plan: dict[str, Any]) -> dict[str, int]:
    """Token -> user id, from the seeded tokens' hashes."""
    from community.security import hash_token

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        by_hash = dict(conn.execute(sa.text("SELECT token_hash, user_id FROM api_tokens")).all())
    engine.dispose()
    tokens = [t for s in plan["spaces"] for t in [s["facilitator"], *s["members"]]]
    return {t: by_hash[hash_token(t)] for t in tokens}


def verdict(r: dict[str, Any]) -> list[str]:
    """What failed the soak's conditions; empty when it passed."""
    failed = []
    ev, sock = r["events"], r["socket"]
    for name in ("lost", "unexpected", "duplicated", "out_of_order"):
        if ev[name]:
            failed.append(f"{ev[name]} events {name.replace('_', ' ')}")
    if r["http"]["errors"]:
        failed.append(f"{r['http']['errors']} HTTP errors")
    for name in ("connect_errors", "subscribe_errors", "reconnects", "revoked"):
        if sock[name]:
            failed.append(f"{sock[name]} socket {name.replace('_', ' ')}")
    if sock["ready"] != sock["connections"]:
        failed.append(f"only {sock['ready']} of {sock['connections']} subscribed")
    for name, alive in r["processes_alive"].items():
        if not alive:
            failed.append(f"{name} died")
    if r["web_workers_restarted"]:
        failed.append(f"web workers restarted: {r['web_workers_restarted']}")
    if r["log_trouble"]:
        failed.append(f"{len(r['log_trouble'])} error lines in server logs")
    for name, m in r["memory"].items():
        if name != "load clients" and not m["flat"]:
            failed.append(f"{name} grew {m['growth_mb']:.1f} MB ({m['growth_pct']:.0f} %)")
    return failed


def table(r: dict[str, Any]) -> str:
    ev, sock, http = r["events"], r["socket"], r["http"]
    failed = verdict(r)
    posts = r["posts"]
    lines = [
        f"Run of {r['date']} ({r['machine']}, shared with other engineers' test runs): "
        f"{r['minutes']} min, {r['members']} live connections ({r['spaces']} spaces, "
        f"members and one facilitator each, split over 2 realtime processes), "
        f"{r['posters']} posters, {r['web_workers']} gunicorn web workers. Load average "
        f"(1/5/15 min) {r['load']['start']} at the start, {r['load']['end']} at the end, "
        f"1-min peak {r['load']['max_1min']}. Load client CPU {r['client_cpu_s']} s "
        f"(two Node processes, connecting included); server CPU during the run "
        + ", ".join(f"{k} {v} s" for k, v in r["server_cpu_s"].items()) + ".",
        "",
        "**" + ("Passed: no errors, nothing lost, memory flat." if not failed
                else "Not passed: " + "; ".join(failed) + ".") + "**",
        "",
        "| figure | value |", "| --- | ---: |",
        f"| connect + subscribe, all members | {r['connect_s']} s |",
        f"| posts (published / held) | {posts.get('published', 0)} / "
        f"{posts.get('pending', 0)} |",
        f"| flags | {sum(r['flags'].values())} |",
        "| queue decisions (approve / reject / remove) | "
        + " / ".join(str(r["decisions"].get(k, 0)) for k in ("approve", "reject", "remove"))
        + " |",
        f"| HTTP requests / errors | {http['requests']} / {http['errors']} |",
        "| expected conflicts: flag on a post hidden meanwhile / queue item changed by a "
        "flag meanwhile (acted again) | "
        f"{sum(v for k, v in http['expected'].items() if k.startswith('flag'))} / "
        f"{sum(v for k, v in http['expected'].items() if CHANGED_MEANWHILE in k)} |",
        "| HTTP p50 / p95 ms: post, flag, claim, approve, queue | "
        + ", ".join(f"{http['p50_ms'].get(k, '-')} / {http['p95_ms'].get(k, '-')}"
                    for k in ("post", "flag", "claim", "approve", "queue")) + " |",
        f"| events stored (all audiences) | {ev['events']} |",
        f"| deliveries checked | {ev['deliveries']} |",
        f"| lost / unexpected / duplicated / out of order | {ev['lost']} / {ev['unexpected']}"
        f" / {ev['duplicated']} / {ev['out_of_order']} |",
        f"| event row → received, p50 / p95 / p99 / max ms | {ev['p50_ms']:.0f} / "
        f"{ev['p95_ms']:.0f} / {ev['p99_ms']:.0f} / {ev['max_ms']:.0f} |",
        f"| socket reconnects / connect errors / subscribe errors | {sock['reconnects']} / "
        f"{sock['connect_errors']} / {sock['subscribe_errors']} |",
        f"| error lines in server logs | {len(r['log_trouble'])} |",
        "",
        "| memory (MB) | start | end | max | growth after warm-up | slope MB/10 min | flat |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, m in r["memory"].items():
        label = {"web": f"web (gunicorn, master + {r['web_workers']} workers)",
                 "redis used": "Redis used_memory", "redis rss": "Redis used_memory_rss",
                 "load clients": "load clients (Node, both)"}.get(name, name)
        flat = "yes" if m["flat"] else "no"
        if name == "load clients":
            flat = "not judged (keeps every event id it received)"
        lines.append(f"| {label} | {m['start']:.1f} | {m['end']:.1f} | {m['max']:.1f} "
                     f"| {m['growth_mb']:+.1f} ({m['growth_pct']:+.1f} %) "
                     f"| {m['slope_mb_per_10min']:+.1f} | {flat} |")
    return "\n".join(lines)


INTRO = """`python -m bench.soak` (options: `--minutes`, `--members`, `--spaces`, `--posters`,
`--web-workers`, `--clients`, `--post-min-s`/`--post-max-s`, `--flag-every`, `--reads-per-s`,
`--sample`, `--redis-url`, `--no-write`; see the module docstring). The scaled layout on one
machine: gunicorn web workers for every HTTP request, two realtime processes
(`community.serve`, gevent) holding the connections, a private Redis between them,
PostgreSQL. Members post, flag and read through the HTTP API and facilitators work the
queue through it; every member and facilitator is a live Node socket.io-client connection
that checks each event id as it arrives; at the end each connection's events are compared
with the rows the database holds for its audiences. Memory is sampled every 15 s; "flat"
means under 10 % (or 2 MB) growth from the end of the warm-up (2 minutes) to the end. The
figures between the markers are rewritten by each run."""


def write_results(r: dict[str, Any]) -> None:
    """Rewrite the figures between this section's markers (or append the section)."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    figures = f"{MARKER}\n{table(r)}\n{MARKER}"
    if HEADING + "\n" in text and MARKER in text:
        start = text.index(MARKER)
        end = text.index(MARKER, start + len(MARKER)) + len(MARKER)
        text = text[:start] + figures + text[end:]
    else:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n\n{figures}\n"
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--spaces", type=int, default=5)
    parser.add_argument("--posters", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2, help="Node load-client processes")
    parser.add_argument("--post-min-s", type=float, default=5)
    parser.add_argument("--post-max-s", type=float, default=10)
    parser.add_argument("--flag-every", type=float, default=4, help="seconds between flaggings")
    parser.add_argument("--reads-per-s", type=float, default=0.5)
    parser.add_argument("--sample", type=float, default=15, help="seconds between samples")
    parser.add_argument("--settle", type=float, default=10,
                        help="seconds to wait after the last action before comparing")
    parser.add_argument("--redis-url", help="an existing Redis instead of a private one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write every figure and sample here")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    raise_nofile()
    os.chdir(ROOT)
    print(f"load average before: {load_average()}", flush=True)
    result = run(args)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1,
                     default=str))
    print(table(result))
    if not args.no_write:
        write_results(result)
        print(f"wrote {RESULTS}")
    if verdict(result):
        sys.exit(1)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
