"""The diff arranged for reading (app.web.diffview): pure, no templates, no server."""

from hypothesis import HealthCheck, example, given, settings

from app.engine import Block, Kind, compare
from app.web.diffview import Block as ViewBlock
from app.web.diffview import Gap, Group, Item, MovedAway, diff_view
from tests.engine.test_properties import edited_pair


def blocks_of(items: tuple[Item, ...]) -> list[ViewBlock]:
    out: list[ViewBlock] = []
    for item in items:
        if isinstance(item, Group):
            out.extend(item.blocks)
        elif isinstance(item, ViewBlock):
            out.append(item)
    return out


def text(pieces: tuple) -> list[str]:  # type: ignore[type-arg]
    return ["".join(s.text for s in piece.segments) for piece in pieces]


def new_side(items: tuple[Item, ...]) -> list[str]:
    """What the page shows of the new revision, top to bottom."""
    return [t for b in blocks_of(items) for t in text(b.new)]


def old_side(items: tuple[Item, ...]) -> list[str]:
    """What it shows of the old one: moved blocks at the marks they left behind."""
    out: list[str] = []
    for item in items:
        if isinstance(item, MovedAway):
            out.extend(text(item.old))
        elif isinstance(item, Group):
            out.extend(t for b in item.blocks for t in text(b.old))
        elif isinstance(item, ViewBlock) and item.op != "move":
            out.extend(text(item.old))
    return out


def test_seed_pair_reads_as_the_design_says(seeds: tuple[str, str]) -> None:
    view = diff_view(compare(*seeds))
    sections = [i for i in view.items if isinstance(i, Group) and i.kind == "section"]
    assert [(s.op, s.title) for s in sections] == [("delete", "Energy alliance")]
    # The section is its heading and the one paragraph under it, shown together.
    assert [(b.op, b.kind) for b in sections[0].blocks] == [
        ("delete", "heading"),
        ("delete", "paragraph"),
    ]
    assert text(sections[0].blocks[1].old)[0].startswith("Noting that Russia already supplies")
    # The other heading went alone; its paragraphs stayed.
    alone = [i for i in view.items if isinstance(i, ViewBlock) and i.changed]
    assert [(b.op, b.kind, text(b.old)) for b in alone] == [
        ("delete", "heading", ["Putin’s China visit"])
    ]
    # Page chrome: one collapsed group at the end, its two removals inside.
    chrome = [i for i in view.items if isinstance(i, Group) and i.kind == "boilerplate"]
    assert len(chrome) == 1
    assert [text(b.old) for b in chrome[0].blocks] == [["COMMents"], ["SHARE"]]
    assert chrome[0].label == "Page chrome: 2 changed"
    assert view.headline[0] == "Section removed: Energy alliance"
    assert "1 heading removed" in view.headline
    assert "words +0 −35" in view.headline


def test_split_and_merge_are_one_change_each() -> None:
    old = "Alpha one two three. Four five six seven.\n\nBeta stays.\n\nGamma a b.\n\nDelta c d."
    new = "Alpha one two three.\n\nFour five six seven.\n\nBeta stays.\n\nGamma a b. Delta c d."
    view = diff_view(compare(old, new))
    changed = [b for b in blocks_of(view.items) if b.changed]
    assert [(b.op, len(b.old), len(b.new)) for b in changed] == [("split", 1, 2), ("merge", 2, 1)]
    split, merge = changed
    assert text(split.new) == ["Alpha one two three.", "Four five six seven."]
    assert split.note == "¶ 1 split into 2 paragraphs"
    assert text(merge.old) == ["Gamma a b.", "Delta c d."]
    assert merge.note == "¶ 3, 4 merged into one"


def test_a_move_links_both_places() -> None:
    view = diff_view(
        compare(
            "A one.\n\nB two.\n\nC three.\n\nD four.", "B two.\n\nC three.\n\nD four.\n\nA one."
        )
    )
    (move,) = [b for b in blocks_of(view.items) if b.op == "move"]
    (mark,) = [i for i in view.items if isinstance(i, MovedAway)]
    assert view.items[0] == mark  # "A" left the top
    assert (mark.old_no, mark.to_anchor, mark.new_no) == (1, move.anchor, 4)
    assert move.link == "ad-old-1"
    assert move.note == "Moved from ¶ 1"


def test_words_changed_inside_show_on_each_side() -> None:
    view = diff_view(compare("Police said 15 died.", "Police said 12 died."))
    (block,) = blocks_of(view.items)
    assert [(s.op, s.text) for s in block.inline[0].segments] == [
        ("equal", "Police said "),
        ("delete", "15"),
        ("insert", "12"),
        ("equal", " died."),
    ]
    assert [s.op for s in block.old[0].segments] == ["equal", "delete", "equal"]
    assert [s.op for s in block.new[0].segments] == ["equal", "insert", "equal"]


def test_context_leaves_gaps() -> None:
    paragraphs = [f"Paragraph number {n} here." for n in range(10)]
    edited = [*paragraphs[:5], "Paragraph number five, edited.", *paragraphs[6:]]
    view = diff_view(compare("\n\n".join(paragraphs), "\n\n".join(edited)), context=1)
    kinds = [type(i).__name__ for i in view.items]
    assert kinds == ["Gap", "Block", "Block", "Block", "Gap"]
    assert [g.count for g in view.items if isinstance(g, Gap)] == [4, 3]


def test_no_change_says_so() -> None:
    assert diff_view(compare("Same.", "Same.")).headline == ("No changes",)


P: Kind = "paragraph"
B: Kind = "boilerplate"


@given(edited_pair())
# Two blocks that moved away from before the same block: their marks in old order.
@example(
    (
        [Block(P, "oil."), Block(P, "on."), Block(P, "oil oil."), Block(B, "SHARE")],
        [Block(P, "oil oil."), Block(P, "oil."), Block(B, "SHARE"), Block(P, "on.")],
    )
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_both_sides_read_back_in_order(pair: tuple[list[Block], list[Block]]) -> None:
    """The page loses nothing and puts nothing out of place: read top to bottom, its
    new side is the new revision, and its old side (with each moved block at the mark
    it left) is the old revision."""
    old, new = pair
    view = diff_view(compare(old, new))
    assert new_side(view.items) == [b.text for b in new]
    assert old_side(view.items) == [b.text for b in old]
    anchors = [b.anchor for b in blocks_of(view.items) if b.changed]
    assert len(set(anchors)) == len(anchors)
    assert all(anchors)
