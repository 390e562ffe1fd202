"""The embedded SQLite database under gevent, as `community serve` runs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# Two greenlets write at once: the first holds its write transaction across a
# cooperative pause (as a request does while it waits for the network), the second
# begins its own meanwhile. SQLite's busy timeout is cut to 2 s so that the broken
# behaviour (the second writer blocks the whole OS thread in SQLite's C busy wait,
# the first can never finish, "database is locked") shows quickly.
TWO_WRITERS = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()

    import sys, time
    import gevent
    import sqlalchemy as sa
    from community.database import configure_sqlite

    engine = sa.create_engine(f"sqlite:///{sys.argv[1]}")
    configure_sqlite(engine)

    @sa.event.listens_for(engine, "connect")
    def shorter_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=2000")

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (writer TEXT)")

    def write(name, pause):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO notes VALUES (?)", (name,))
            gevent.sleep(pause)

    start = time.monotonic()
    first = gevent.spawn(write, "first", 0.5)
    gevent.sleep(0.1)  # the first one is inside its transaction now
    second = gevent.spawn(write, "second", 0)
    gevent.joinall([first, second])
    for greenlet in (first, second):
        if greenlet.exception is not None:
            print("failed:", greenlet.exception)
    with engine.connect() as connection:
        rows = [r[0] for r in connection.exec_driver_sql("SELECT writer FROM notes")]
    print("rows:", ",".join(rows))
    print(f"seconds: {time.monotonic() - start:.2f}")
""")


def test_two_writers_in_one_gevent_process_wait_for_each_other_instead_of_failing(
        tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", TWO_WRITERS, str(tmp_path / "db.sqlite")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "failed" not in done.stdout, done.stdout
    assert "rows: first,second" in done.stdout
    seconds = float(done.stdout.split("seconds:")[1])
    assert seconds < 1.9, f"the second writer waited in SQLite's busy loop: {done.stdout}"
