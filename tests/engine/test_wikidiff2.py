"""Agreement with wikidiff2, MediaWiki's diff engine, on its own test cases.

The cases (../shared/peer/wikidiff2/cases.json, read in place, GPL test data
never copied here) state at paragraph level what wikidiff2's expected output
shows; the file's header defines the keys. The issue asked for at least 22
of 23; all 23 agree, and the test keeps it so.
"""

import json
from collections.abc import Iterable
from typing import Any

from app.engine import Diff, compare, parse_text
from tests.conftest import PEER_DIR, shared_file

CASES = PEER_DIR / "wikidiff2" / "cases.json"
GOAL = 23

Links = set[tuple[str, int | None, int | None]]


def _links(diff: Diff) -> Links:
    return {(e.op, e.old_index, e.new_index) for e in diff.entries}


def _pairs(links: Links, ops: Iterable[str]) -> set[tuple[int | None, int | None]]:
    wanted = set(ops)
    return {(i, j) for op, i, j in links if op in wanted}


def _holds(expect: dict[str, Any], diff: Diff, in_scope: set[tuple[str, int]]) -> list[str]:
    """What does not hold of one expectation (empty: it holds)."""
    links = _links(diff)
    failures = []
    paired = {"modify", "split", "merge"}
    checks = {
        "unchanged": _pairs(links, ["equal"]),
        "modified": _pairs(links, paired) | {(i, j) for i, j in _pairs(links, ["equal"])},
        "moved": _pairs(links, ["move"]),
        "linked": _pairs(links, [*paired, "move", "equal"]),
    }
    for key, found in checks.items():
        for i, j in expect.get(key, []):
            if (i, j) not in found:
                failures.append(f"{key} {i}->{j}")
    deleted = {i for op, i, j in links if op == "delete"}
    inserted = {j for op, i, j in links if op == "insert"}
    for i in expect.get("deleted", []):
        if i not in deleted:
            failures.append(f"deleted {i}")
    for j in expect.get("inserted", []):
        if j not in inserted:
            failures.append(f"inserted {j}")
    for i in expect.get("not_deleted", []):
        if i in deleted:
            failures.append(f"not_deleted {i}")
    for j in expect.get("not_inserted", []):
        if j in inserted:
            failures.append(f"not_inserted {j}")
    for group in expect.get("alternatives", []):
        if all(_holds(alt, diff, in_scope) for alt in group):
            failures.append(f"no alternative holds of {group}")
    return failures


def _named(expect: dict[str, Any]) -> tuple[set[int], set[int]]:
    olds: set[int] = set(expect.get("free_old", []))
    news: set[int] = set(expect.get("free_new", []))
    for key in ("unchanged", "modified", "moved", "linked"):
        for i, j in expect.get(key, []):
            olds.add(i)
            news.add(j)
    olds |= set(expect.get("deleted", [])) | set(expect.get("not_deleted", []))
    news |= set(expect.get("inserted", [])) | set(expect.get("not_inserted", []))
    for group in expect.get("alternatives", []):
        for alt in group:
            o, n = _named(alt)
            olds |= o
            news |= n
    return olds, news


def check(case: dict[str, Any]) -> list[str]:
    old, new = parse_text(case["old"]), parse_text(case["new"])
    assert [len(old), len(new)] == case["paragraphs"], "paragraphs do not map to peer lines"
    diff = compare(old, new)
    expect = case["expect"]
    scope = expect.get("scope", {"old": [0, len(old)], "new": [0, len(new)]})
    old_scope, new_scope = range(*scope["old"]), range(*scope["new"])
    failures = _holds(expect, diff, set())
    if "op_counts" in expect:
        counts = dict.fromkeys(expect["op_counts"], 0)
        for e in diff.entries:
            inside = (e.old_index in old_scope) or (e.new_index in new_scope)
            if inside and e.op in counts:
                counts[e.op] += 1
        if counts != expect["op_counts"]:
            failures.append(f"op_counts {counts} != {expect['op_counts']}")
    named_old, named_new = _named(expect)
    for e in diff.entries:
        if e.op == "equal":
            continue
        if e.old_index in old_scope and e.old_index not in named_old:
            failures.append(f"rest: old {e.old_index} is {e.op}")
        if e.new_index in new_scope and e.new_index not in named_new:
            failures.append(f"rest: new {e.new_index} is {e.op}")
    return failures


def load_cases() -> list[dict[str, Any]]:
    text = shared_file(CASES, "PEER_DIR").read_text(encoding="utf-8")
    cases: list[dict[str, Any]] = json.loads(text)["cases"]
    return cases


def test_agrees_with_wikidiff2_on_its_own_cases() -> None:
    cases = load_cases()
    disagreements = {case["id"]: failures for case in cases if (failures := check(case))}
    agreed = len(cases) - len(disagreements)
    assert agreed >= GOAL, f"agrees on {agreed} of {len(cases)}: {disagreements}"
