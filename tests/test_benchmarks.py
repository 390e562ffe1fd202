"""The benchmark command still runs end to end: `python -m bench --smoke` times every
forum and moderation figure at small sizes on each backend and writes nothing."""

from __future__ import annotations

import os
import re
import subprocess  # nosec B404 # runs this repository's own benchmark command
import sys
from pathlib import Path

from tests.conftest import BACKENDS, POSTGRES_URL

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmarks_run_with_one_command_and_smoke_mode_writes_nothing() -> None:
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes()
    run = subprocess.run(  # nosec B603 # fixed arguments, our own interpreter
        [sys.executable, "-m", "bench", "--smoke", "--backends", ",".join(BACKENDS)],
        cwd=ROOT, env={**os.environ, "COMMUNITY_TEST_POSTGRES_URL": POSTGRES_URL},
        capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    out = run.stdout
    posting = [float(v) for v in re.findall(r"^  posts per second +([0-9.]+)$", out, re.M)]
    assert len(posting) == len(BACKENDS) and all(v > 0 for v in posting), out
    at_once = [float(v) for v in re.findall(
        r"^  posts per second, \d+ posters at once +([0-9.]+)$", out, re.M)]
    assert len(at_once) == len(BACKENDS) and all(v > 0 for v in at_once), out
    pages = re.findall(r"^  thread page, 10,000 posts, last page \(HTML\) +([0-9.]+)$", out, re.M)
    assert len(pages) == len(BACKENDS), out
    for backend in BACKENDS:
        assert f"== {backend}" in out
        for figure in ("claim + resolve (two API requests)",
                       "screening a 2,000-character post, 200 watched words"):
            assert re.search(rf"^{backend} +{re.escape(figure)}.* ms", out, re.M), (backend, figure)
    assert results.read_bytes() == before
