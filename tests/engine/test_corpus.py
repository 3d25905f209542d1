"""The real digital.gov histories (../shared/corpus): every step replays, thresholds hold."""

import itertools
from typing import Any

import pytest

from app.engine import compare, parse_markdown
from app.engine.align import MODIFY_THRESHOLD, dice, in_place_kin, words

Step = tuple[str, str, str]


@pytest.fixture(scope="module")
def steps(corpus_posts: list[dict[str, Any]]) -> list[Step]:
    """(path, body before, body after) for every consecutive pair of versions."""
    return [
        (post["path"], before["body"], after["body"])
        for post in corpus_posts
        for before, after in itertools.pairwise(post["versions"])
    ]


def test_corpus_replay_reports_every_removed_heading(steps: list[Step]) -> None:
    removed_seen = 0
    for path, before, after in steps:
        old, new = parse_markdown(before), parse_markdown(after)
        diff = compare(old, new)
        # Every block on both sides is accounted for exactly once.
        olds = sorted({e.old_index for e in diff.entries if e.old_index is not None})
        news = sorted({e.new_index for e in diff.entries if e.new_index is not None})
        assert olds == list(range(len(old))), path
        assert news == list(range(len(new))), path
        # The reverse diff mirrors the forward one.
        back = compare(new, old)
        assert back.summary.paragraphs_added == diff.summary.paragraphs_removed, path
        assert back.summary.sections_added == diff.summary.sections_removed, path
        # Headings the authors removed (by text) are reported as removed headings or sections.
        gone = {b.text for b in old if b.kind == "heading"} - {
            b.text for b in new if b.kind == "heading"
        }
        reported = set(diff.headings.removed) | {
            s.heading for s in diff.sections if s.op == "delete"
        }
        reported |= {old_new[0] for old_new in diff.headings.changed}
        assert gone <= reported, (path, gone - reported)
        removed_seen += len(gone)
    assert len(steps) > 400
    assert removed_seen > 5


def test_modify_threshold_separates_real_edits_from_unrelated_paragraphs(
    steps: list[Step],
) -> None:
    """Different paragraphs of one article (8+ words) rarely reach the modify threshold."""
    over = total = 0
    for _, _, after in steps[::10]:
        paras = [words(b.text) for b in parse_markdown(after) if b.kind == "paragraph"]
        for a, b in itertools.combinations(paras, 2):
            if len(a) >= 8 and len(b) >= 8:
                total += 1
                over += dice(a, b) >= MODIFY_THRESHOLD
    assert total > 1000
    assert over / total < 0.005


def test_in_place_rule_keeps_different_paragraphs_apart(steps: list[Step]) -> None:
    """Adjacent different paragraphs, as if one were written in place of the other:
    the low in-place threshold pairs about as few as the far threshold does (<1%)."""
    pairs = []
    for _, _, after in steps[::3]:
        paras = [b.text for b in parse_markdown(after) if b.kind in ("paragraph", "list_item")]
        pairs += [(a, b) for a, b in itertools.pairwise(paras) if a != b]
    paired = sum(in_place_kin(a, b) for a, b in pairs)
    assert len(pairs) > 2000
    assert paired / len(pairs) < 0.01
