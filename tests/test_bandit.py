"""bandit finds nothing in community/, and every finding we accepted says why on its line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `# nosec B603 # why`: bandit reads ids up to the next '#', so the reason follows one.
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)")
JUSTIFIED = re.compile(r"^\s+(B\d{3})(,\s*B\d{3})*\s+#\s*\S.{5,}$")


def test_bandit_finds_nothing_in_the_package():
    run = subprocess.run([sys.executable, "-m", "bandit", "-c", str(ROOT / ".bandit.yml"),
                          "-r", "community", "-q", "-f", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_severity']}: "
                f"{r['issue_text']}" for r in report["results"]]
    assert not findings, "bandit findings:\n" + "\n".join(findings)
    assert not report["errors"], report["errors"]
    assert run.returncode == 0, run.stderr


def test_every_nosec_names_its_test_and_gives_a_reason():
    bare = []
    for path in sorted((ROOT / "community").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = NOSEC.search(line)
            if found and not JUSTIFIED.match(found["rest"]):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "write `# nosec BXXX # why` instead of:\n" + "\n".join(bare)
