"""Timing helpers and the plain diff-match-patch baseline, shared by both bench tables."""

import statistics
import time
from collections.abc import Callable

from diff_match_patch import diff_match_patch


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def plain_dmp(a: str, b: str, deadline: float = 1.0) -> None:
    """diff_main + diff_cleanupSemantic; `deadline` is diff-match-patch's Diff_Timeout
    (1 s, the library default, unless a run to completion is wanted)."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = deadline
    diffs = dmp.diff_main(a, b)
    dmp.diff_cleanupSemantic(diffs)
