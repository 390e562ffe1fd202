"""Benchmarks: forum pages and posting (`python -m bench`), the moderation queue
(`bench.moderation`), live fan-out (`bench.fanout`) and the soak (`bench.soak`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """How much the forum and moderation benchmarks do. FULL gives the recorded figures;
    SMOKE (`--smoke`) only checks in seconds that every measurement still runs (the test
    suite does), and its figures are never written."""

    thread_posts: int = 10_000   # posts in the long thread whose pages are timed
    threads: int = 5_000         # threads in the listed space
    posts: int = 2_000           # replies posted, in `rounds` rounds
    rounds: int = 5
    posters: int = 4             # members posting at once (bench/concurrent_posting.py)
    page_runs: int = 60          # requests per page figure (median)
    spaces: int = 200            # moderation: spaces, each with its share of the items
    items: int = 50_000
    decisions: int = 80          # claim + resolve pairs
    words: int = 200             # watched words for the screening figure
    check_runs: int = 300        # screening runs (median)


FULL = Sizes()
SMOKE = Sizes(thread_posts=200, threads=100, posts=40, rounds=2, posters=2, page_runs=3, spaces=3,
              items=150, decisions=8, words=8, check_runs=5)
