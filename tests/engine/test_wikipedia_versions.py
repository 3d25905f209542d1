"""Real Wikipedia revision pairs that exposed engine defects (../shared/peer, read in place)."""

import itertools
import json
from typing import Any

from app.engine import compare
from tests.conftest import PEER_DIR, shared_file

FOLDER = PEER_DIR / "wikipedia-versions"


def load_cases() -> list[dict[str, Any]]:
    text = shared_file(FOLDER / "cases.json", "PEER_DIR").read_text(encoding="utf-8")
    cases: list[dict[str, Any]] = json.loads(text)["cases"]
    return cases


def test_each_case_holds() -> None:
    failures = {}
    for case in load_cases():
        folder = FOLDER / case["id"]
        old = (folder / "old.txt").read_text(encoding="utf-8")
        new = (folder / "new.txt").read_text(encoding="utf-8")
        expect = case["expect"]
        forward, backward = compare(old, new), compare(new, old)
        for diff, added, removed in (
            (forward, forward.summary.words_added, forward.summary.words_removed),
            (backward, backward.summary.words_removed, backward.summary.words_added),
        ):
            problems = []
            if added > expect.get("words_added_at_most", added):
                problems.append(f"words_added {added}")
            if removed > expect.get("words_removed_at_most", removed):
                problems.append(f"words_removed {removed}")
            in_place = sorted(
                (e.old_index, e.new_index)
                for e in diff.entries
                if e.op in ("equal", "modify", "split", "merge")
                and e.old_index is not None
                and e.new_index is not None
            )
            if expect.get("in_place_pairs_do_not_cross") and any(
                i2 > i1 and j2 < j1 for (i1, j1), (i2, j2) in itertools.pairwise(in_place)
            ):
                problems.append("in-place pairs cross")
            olds = [e.old_index for e in diff.entries if e.op != "move" and e.old_index is not None]
            if expect.get("reading_order_keeps_old_order") and olds != sorted(olds):
                problems.append("reading order breaks the old order")
            if problems:
                failures[case["id"]] = problems
    assert not failures, failures
