"""compare(): the seed case and a table of small real-looking edits, checked by hand."""

import gc
from dataclasses import asdict

import pytest

from app.engine import Diff, Summary, apply_diff, compare, parse_text, render_unified

P1 = "The council voted on Tuesday to close the old bridge to heavy traffic."
P2 = "Engineers found cracks in two of its steel supports during an inspection in May."
P3 = "The mayor said repairs would cost about $4 million and take a year."
P4 = "Residents have complained for years about the noise from lorries crossing it."
P5 = "A temporary crossing for pedestrians will open next month, officials said."
BASE = [P1, P2, P3, P4, P5]


def doc(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


def ops(diff: Diff) -> list[tuple[str, int | None, int | None]]:
    return [(e.op, e.old_index, e.new_index) for e in diff.entries]


def nonzero(summary: Summary) -> dict[str, int]:
    return {k: v for k, v in asdict(summary).items() if v and k != "paragraphs_unchanged"}


def test_seed_diff(seeds) -> None:
    d = compare(*seeds)
    s = d.summary
    assert (
        s.paragraphs_removed,
        s.paragraphs_added,
        s.paragraphs_modified,
        s.paragraphs_moved,
        s.paragraphs_unchanged,
    ) == (1, 0, 0, 0, 15)
    assert [(x.op, x.heading) for x in d.sections] == [("delete", "Energy alliance")]
    changed = [(e.op, e.kind, e.old_text) for e in d.entries if e.op != "equal"]
    assert changed == [
        ("delete", "heading", "Putin’s China visit"),
        ("delete", "heading", "Energy alliance"),
        ("delete", "paragraph", d.old_blocks[12].text),
        ("delete", "boilerplate", "COMMents"),
        ("delete", "boilerplate", "SHARE"),
    ]
    assert d.old_blocks[12].text.startswith("Noting that Russia")
    assert d.headings.removed == ("Putin’s China visit",)


def test_seed_diff_reversed_is_the_mirror_image(seeds) -> None:
    forward, backward = compare(*seeds), compare(seeds[1], seeds[0])
    s, r = forward.summary, backward.summary
    assert (r.paragraphs_added, r.sections_added, r.paragraphs_removed) == (1, 1, 0)
    assert r.paragraphs_unchanged == s.paragraphs_unchanged == 15
    assert [(x.op, x.heading) for x in backward.sections] == [("insert", "Energy alliance")]
    assert backward.headings.added == ("Putin’s China visit",)
    assert [(e.op, e.kind) for e in backward.entries if e.op != "equal"] == [
        ("insert", "heading"),
        ("insert", "heading"),
        ("insert", "paragraph"),
        ("insert", "boilerplate"),
        ("insert", "boilerplate"),
    ]


CASES = [
    # (name, old paragraphs, new paragraphs, expected non-zero summary, expected ops)
    (
        "typo",
        BASE,
        [P1, P2.replace("supports", "suports"), P3, P4, P5],
        {"paragraphs_modified": 1, "words_added": 1, "words_removed": 1},
        None,
    ),
    (
        "number change",
        BASE,
        [P1, P2, P3.replace("$4 million", "$5 million"), P4, P5],
        {"paragraphs_modified": 1, "words_added": 1, "words_removed": 1},
        None,
    ),
    (
        "quote edited",
        [P1, "“We will not wait for a collapse,” the mayor said."],
        [P1, "“We cannot wait for a collapse,” the mayor said."],
        {"paragraphs_modified": 1, "words_added": 1, "words_removed": 2},
        None,
    ),
    (
        "paragraph moved",
        BASE,
        [P1, P3, P4, P5, P2],
        {"paragraphs_moved": 1},
        [("equal", 0, 0), ("equal", 2, 1), ("equal", 3, 2), ("equal", 4, 3), ("move", 1, 4)],
    ),
    (
        # Exact matches tie (P2 or P4 could stay); keeping P2, which travelled less,
        # leaves its edited neighbour P3 in place: one move, not two (wikidiff2 028).
        "moved past an edited neighbour",
        BASE,
        [P1, P4, P2, P3.replace("a year", "two years"), P5],
        {"paragraphs_moved": 1, "paragraphs_modified": 1, "words_added": 2, "words_removed": 2},
        [("equal", 0, 0), ("move", 3, 1), ("equal", 1, 2), ("modify", 2, 3), ("equal", 4, 4)],
    ),
    (
        "moved and edited",
        BASE,
        [P1, P3, P4, P5, P2.replace("in May", "in early May")],
        {"paragraphs_moved": 1, "words_added": 1},
        None,
    ),
    (
        "split",
        BASE,
        [
            P1,
            "Engineers found cracks in two of its steel supports.",
            "The cracks were found during an inspection in May.",
            P3,
            P4,
            P5,
        ],
        {"paragraphs_split": 1, "words_added": 4},
        None,
    ),
    ("merge", BASE, [P1, P2 + " " + P3, P4, P5], {"paragraphs_merged": 1}, None),
    (
        "section added at the end",
        BASE,
        [*BASE, "## What comes next", "The council will vote again on the budget in March."],
        {"paragraphs_added": 1, "sections_added": 1, "words_added": 13},
        None,
    ),
    (
        "section removed in the middle",
        [
            P1,
            P2,
            "## The cost",
            P3,
            "Critics said the estimate was far too low.",
            "## Reaction",
            P4,
            P5,
        ],
        [P1, P2, "## Reaction", P4, P5],
        {"paragraphs_removed": 2, "sections_removed": 1, "words_removed": 23},
        None,
    ),
    ("whitespace only", BASE, [p.replace(" ", "  ") for p in BASE], {}, None),
    (
        "duplicated paragraph",
        BASE,
        [P1, P2, P2, P3, P4, P5],
        {"paragraphs_added": 1, "words_added": 14},
        None,
    ),
    (
        "duplicate removed",
        [P1, P2, P3, P2, P4],
        [P1, P2, P3, P4],
        {"paragraphs_removed": 1, "words_removed": 14},
        None,
    ),
    (
        "complete rewrite",
        [P1, P2],
        [P1, "Traffic lights on the ring road will be replaced over the summer holidays."],
        {"paragraphs_added": 1, "paragraphs_removed": 1, "words_added": 13, "words_removed": 14},
        None,
    ),
    ("empty old text", [], [P1, P2], {"paragraphs_added": 2, "words_added": 27}, None),
    (
        "heading removed, paragraphs stay",
        [P1, "## The cost", P3, P4],
        [P1, P3, P4],
        {"headings_removed": 1, "words_removed": 2},
        None,
    ),
    (
        "heading renamed",
        [P1, "## The cost of repairs", P3],
        [P1, "## The cost of the repairs", P3],
        {"headings_changed": 1, "words_added": 1},
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected", "expected_ops"), CASES, ids=[c[0] for c in CASES]
)
def test_edit_cases(name, old, new, expected, expected_ops) -> None:
    d = compare(doc(*old), doc(*new))
    assert nonzero(d.summary) == expected
    if expected_ops:
        assert ops(d)[: len(expected_ops)] == expected_ops
    assert apply_diff(d.old_blocks, d) == d.new_blocks
    mirror = compare(doc(*new), doc(*old)).summary
    assert mirror.paragraphs_added == d.summary.paragraphs_removed
    assert mirror.paragraphs_split == d.summary.paragraphs_merged
    assert mirror.words_added == d.summary.words_removed


def test_modified_entries_carry_word_level_inline() -> None:
    d = compare(doc(P1, P3), doc(P1, P3.replace("$4 million", "$5 million")))
    entry = d.entries[1]
    assert entry.op == "modify"
    assert entry.inline is not None
    assert [(s.op, s.text) for s in entry.inline if s.op != "equal"] == [
        ("delete", "4"),
        ("insert", "5"),
    ]


def test_split_pieces_share_their_old_index() -> None:
    d = compare(
        doc(P1, P2),
        doc(
            P1,
            "Engineers found cracks in two of its steel supports.",
            "The cracks were found during an inspection in May.",
        ),
    )
    assert [(e.op, e.old_index, e.new_index) for e in d.entries] == [
        ("equal", 0, 0),
        ("split", 1, 1),
        ("split", 1, 2),
    ]


def test_char_granularity() -> None:
    d = compare(doc(P1, P2), doc(P1, P2.replace("supports", "suports")), granularity="char")
    inline = d.entries[1].inline
    assert inline is not None
    assert [(s.op, s.text) for s in inline if s.op != "equal"] == [("delete", "p")]


def test_context_keeps_neighbours_only() -> None:
    d = compare(doc(*BASE), doc(P1, P2, P3.replace("year", "decade"), P4, P5))
    kept = d.to_dict(context=1)["blocks"]
    assert [b["old_index"] for b in kept] == [1, 2, 3]
    assert len(d.to_dict()["blocks"]) == 5


def test_unified_renderer_keeps_markup_as_text() -> None:
    from app.engine import render_unified

    d = compare("Hello <b>there</b>.", 'Hello <img src=x onerror="alert(1)">.')
    lines = render_unified(d).splitlines()
    assert lines[-2:] == ["- Hello <b>there</b>.", '+ Hello <img src=x onerror="alert(1)">.']
    edited = compare(doc(P1, P3), doc(P1, P3.replace("$4 million", "<b>$5</b> million")))
    assert "cost about [-$4-]{+<b>$5</b>+} million" in render_unified(edited)


def test_blocks_of_parse_and_compare_agree() -> None:
    d = compare(doc(*BASE), doc(*BASE))
    assert d.old_blocks == parse_text(doc(*BASE))
    assert {e.op for e in d.entries} == {"equal"}


def test_unified_notes_count_blocks_from_one_like_the_hunk_headers() -> None:
    d = compare(doc(P1, P2, P3), doc(P3, P1, P2))
    lines = render_unified(d, context=0).splitlines()
    # P3 (old block 3) moved to the top (new block 1).
    assert "@@ old 3 new 1 @@" in lines
    assert f"> {P3} (moved from 3)" in lines


@pytest.mark.parametrize(
    ("old", "new", "header"),
    [
        ((P1, P2), (P1, P3), "@@ old 2 new 2 @@"),  # starts with a removal: no new block
        ((P2,), (P1, P2), "@@ old 1 new 1 @@"),  # starts with an addition: no old block
        ((P1, P2), (P1,), "@@ old 2 new 2 @@"),  # removed at the end: where it would be
        ((P1, P2, P3), (P1, P3), "@@ old 2 new 2 @@"),
    ],
)
def test_hunk_headers_number_both_sides(
    old: tuple[str, ...], new: tuple[str, ...], header: str
) -> None:
    """A hunk opening on a block only one side has still says where it stands in the
    other, as diff -u does (not '@@ old 2 new - @@')."""
    lines = render_unified(compare(doc(*old), doc(*new)), context=0).splitlines()
    assert [line for line in lines if line.startswith("@@")] == [header]


@pytest.mark.parametrize(
    ("old", "new", "marked"),
    [
        ("The colour of the bridge.", "The color of the bridge.", "[-colour-]{+color+}"),
        ("The color of the bridge.", "The colour of the bridge.", "[-color-]{+colour+}"),
        ("Police said 15 people died.", "Police said 12 people died.", "[-15-]{+12+}"),
        ("Police said 12 people died.", "Police said 15 people died.", "[-12-]{+15+}"),
    ],
)
def test_deletions_show_before_insertions_in_both_orientations(
    old: str, new: str, marked: str
) -> None:
    """One of each pair is computed in the mirrored orientation: both read the same way."""
    diff = compare(doc(P1, old), doc(P1, new))
    assert marked in render_unified(diff)
    inline = diff.entries[1].inline
    assert inline is not None
    assert [s.op for s in inline if s.op != "equal"] == ["delete", "insert"]


@pytest.mark.parametrize(
    ("old", "new", "marked"),
    [
        ("Smith won 1,204 votes.", "Smith won 1,304 votes.", "[-1,204-]{+1,304+}"),
        ("Rates rose to 3.5% today.", "Rates rose to 3.75% today.", "[-3.5-]{+3.75+}%"),
        ("Polls close at 5:30 p.m.", "Polls close at 6:30 p.m.", "[-5:30-]{+6:30+}"),
    ],
)
def test_a_changed_number_shows_whole(old: str, new: str, marked: str) -> None:
    """A number is one token with its separators: "1,[-204-]{+304+}" read as a fragment.
    It is one word in the summary too, as it reads: one word out, one in."""
    diff = compare(doc(P1, old), doc(P1, new))
    assert marked in render_unified(diff)
    assert (diff.summary.words_removed, diff.summary.words_added) == (1, 1)


@pytest.mark.parametrize(
    ("old", "new", "marked", "words"),
    [
        (
            "北京今天宣布，将在明年实施新的经济政策。",
            "北京昨天宣布，将在后年实施新的经济政策。",
            "~ 北京[-今-]{+昨+}天宣布，将在[-明-]{+后+}年实施新的经济政策。",
            (2, 2),
        ),
        (
            "東京都は今日、新しい政策を発表した。",
            "東京都は昨日、新しい政策を発表した。",
            "~ 東京都は[-今-]{+昨+}日、新しい政策を発表した。",
            (1, 1),
        ),
    ],
)
def test_text_without_spaces_is_diffed_character_by_character(
    old: str, new: str, marked: str, words: tuple[int, int]
) -> None:
    """Chinese and Japanese put no spaces between words: a run of letters was one
    word, so two characters changed replaced the whole Chinese paragraph (removed and
    added) and the whole Japanese clause."""
    diff = compare(doc(P1, old), doc(P1, new))
    assert [e.op for e in diff.entries] == ["equal", "modify"]
    assert marked in render_unified(diff).splitlines()
    assert (diff.summary.words_removed, diff.summary.words_added) == words


def test_compare_leaves_the_garbage_collector_as_it_found_it() -> None:
    """compare() pauses cyclic collection while it runs, and only undoes its own pause."""
    assert gc.isenabled()
    compare("Rates rose.", "Rates fell.")
    assert gc.isenabled()
    gc.disable()
    try:
        compare("Rates rose.", "Rates fell.")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_compare_resumes_collection_when_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("aligner failed")

    monkeypatch.setattr("app.engine.diff.align_blocks", broken)
    with pytest.raises(RuntimeError, match="aligner failed"):
        compare("Rates rose.", "Rates fell.")
    assert gc.isenabled()
