"""Properties of compare() over generated documents (Hypothesis).

Small word lists make generated paragraphs overlap, so modifications, moves,
splits, merges and duplicates all occur.
"""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import Block, apply_diff, compare
from app.engine._dmp import _TOKEN
from app.engine.blocks import WORD

WORDS = [
    "oil",
    "gas",
    "deal",
    "Putin",
    "China",
    "said",
    "the",
    "a",
    "new",
    "$60",
    "5%",
    "minister",
    "“quote”",
    "war",
    "talks",
    "on",
    "Monday",
    "price",
    "rose",
    "fell",
]

sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(
    lambda ws: " ".join(ws) + "."
)
block = st.one_of(
    st.builds(lambda s: Block("paragraph", s), sentence),
    st.builds(
        lambda s: Block("paragraph", s), st.lists(sentence, min_size=2, max_size=3).map(" ".join)
    ),
    st.builds(
        lambda ws: Block("heading", " ".join(ws).capitalize()),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    ),
    st.just(Block("boilerplate", "SHARE")),
)
document = st.lists(block, max_size=14)


@st.composite
def edited_pair(draw: st.DrawFn) -> tuple[list[Block], list[Block]]:
    """A document and an edited copy: deletions, insertions, moves, word edits, splits."""
    old = draw(document)
    new = list(old)
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(["delete", "insert", "move", "edit", "split", "merge"]))
        if action == "insert" or not new:
            new.insert(draw(st.integers(0, len(new))), draw(block))
            continue
        k = draw(st.integers(0, len(new) - 1))
        if action == "delete":
            del new[k]
        elif action == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(k))
        elif action == "edit":
            words = new[k].text.split()
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(WORDS))
            new[k] = Block(new[k].kind, " ".join(words))
        elif action == "split":
            words = new[k].text.split()
            if len(words) > 1:
                cut = draw(st.integers(1, len(words) - 1))
                new[k : k + 1] = [
                    Block("paragraph", " ".join(words[:cut])),
                    Block("paragraph", " ".join(words[cut:])),
                ]
        elif action == "merge" and k + 1 < len(new):
            new[k : k + 2] = [Block("paragraph", new[k].text + " " + new[k + 1].text)]
    return old, new


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MIRROR = {
    "paragraphs_added": "paragraphs_removed",
    "sections_added": "sections_removed",
    "paragraphs_split": "paragraphs_merged",
    "words_added": "words_removed",
    "headings_added": "headings_removed",
    "boilerplate_added": "boilerplate_removed",
}


@PROPS
@given(edited_pair())
def test_replaying_the_diff_rebuilds_the_new_blocks(pair) -> None:
    old, new = pair
    diff = compare(old, new)
    assert apply_diff(tuple(old), diff) == tuple(new)


@PROPS
@given(edited_pair())
def test_every_block_is_accounted_for_exactly_once(pair) -> None:
    old, new = pair
    diff = compare(old, new)
    olds = [e.old_index for e in diff.entries if e.old_index is not None and e.op != "split"]
    splits = {e.old_index for e in diff.entries if e.old_index is not None and e.op == "split"}
    assert sorted(olds + list(splits)) == list(range(len(old)))
    news = [e.new_index for e in diff.entries if e.new_index is not None and e.op != "merge"]
    merges = {e.new_index for e in diff.entries if e.new_index is not None and e.op == "merge"}
    assert sorted(news + list(merges)) == list(range(len(new)))


@PROPS
@given(document)
def test_identical_documents_are_all_equal(doc) -> None:
    diff = compare(doc, doc)
    assert {e.op for e in diff.entries} <= {"equal"}
    assert len(diff.entries) == len(doc)


@PROPS
@given(edited_pair())
def test_swapping_old_and_new_mirrors_the_diff(pair) -> None:
    old, new = pair
    forward, backward = compare(old, new), compare(new, old)
    for a, b in MIRROR.items():
        assert getattr(forward.summary, a) == getattr(backward.summary, b)
        assert getattr(forward.summary, b) == getattr(backward.summary, a)
    for key in (
        "paragraphs_modified",
        "paragraphs_moved",
        "paragraphs_unchanged",
        "headings_changed",
    ):
        assert getattr(forward.summary, key) == getattr(backward.summary, key)
    swap = {"insert": "delete", "delete": "insert", "split": "merge", "merge": "split"}
    pairs_f = sorted((swap.get(e.op, e.op), e.new_index, e.old_index) for e in forward.entries)
    pairs_b = sorted((e.op, e.old_index, e.new_index) for e in backward.entries)
    assert pairs_f == pairs_b


@PROPS
@given(edited_pair())
def test_output_is_deterministic(pair) -> None:
    old, new = pair
    assert compare(old, new) == compare(list(old), list(new))


@PROPS
@given(st.text(max_size=300), st.text(max_size=300))
def test_any_text_pair_diffs_and_replays(a: str, b: str) -> None:
    diff = compare(a, b)
    assert apply_diff(diff.old_blocks, diff) == diff.new_blocks


@PROPS
@given(edited_pair())
def test_inline_runs_show_deletions_before_insertions(pair) -> None:
    old, new = pair
    for diff in (compare(old, new), compare(new, old)):
        for entry in diff.entries:
            ops = [s.op for s in entry.inline or ()]
            assert not any(a == "insert" and b == "delete" for a, b in itertools.pairwise(ops))


IN_PLACE = {"equal", "modify", "split", "merge"}


@PROPS
@given(edited_pair())
def test_in_place_pairs_never_cross(pair) -> None:
    """A crossing pair is a move: in-place links keep both documents' order."""
    old, new = pair
    for diff in (compare(old, new), compare(new, old)):
        links = sorted(
            (e.old_index, e.new_index)
            for e in diff.entries
            if e.op in IN_PLACE and e.old_index is not None and e.new_index is not None
        )
        for (i1, j1), (i2, j2) in itertools.pairwise(links):
            assert i2 == i1 or j2 >= j1, (links, diff.entries)


@PROPS
@given(edited_pair())
def test_reading_order_keeps_the_old_order_outside_moves(pair) -> None:
    """Deleted blocks show at their old place: every non-move entry is in old order."""
    old, new = pair
    diff = compare(old, new)
    olds = [e.old_index for e in diff.entries if e.op != "move" and e.old_index is not None]
    assert olds == sorted(olds)


# Text that mixes what the word patterns tell apart: letters (accented too), digits
# and their separators, spaces, punctuation, CJK letters and CJK-range symbols.
_WORDISH = st.text(alphabet=st.sampled_from("aZé_09 ,.:/-’\n北京は㈱\U00020000"), max_size=40)


@given(_WORDISH)
def test_words_are_read_as_the_cjk_pattern_reads_them(text: str) -> None:
    """The plain word pattern reads a text first and the CJK one only when a word holds
    a CJK character: on every text, the words come out as the CJK pattern finds them."""
    for pattern in (WORD, _TOKEN):
        assert pattern.findall(text) == pattern._cjk.findall(text)
