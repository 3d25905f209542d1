"""Edit classes and significance, including the negative cases."""

import json
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Block, ChangeRecord, compare, parse_text
from app.engine.changes import TitleChange, change_record, classify_edit
from tests.engine.test_properties import document, edited_pair

CASES = [
    ("typo fix", "The goverment said no.", "The government said no.", {"typo"}),
    (
        "two typos",
        "The goverment said teh plan failed.",
        "The government said the plan failed.",
        {"typo"},
    ),
    ("case only", "the Minister said no.", "The minister said no.", {"cosmetic"}),
    ("punctuation only", "He left, then she came.", "He left; then she came.", {"cosmetic"}),
    (
        "re-curled quotes",
        'He said "we will win" today.',
        "He said “we will win” today.",
        {"cosmetic"},
    ),
    ("spacing", "He left  quickly .", "He left quickly.", {"cosmetic"}),
    ("number", "A $60-billion deal.", "A $70-billion deal.", {"numbers_changed"}),
    (
        "percentage",
        "Unemployment fell to 4.1% in May.",
        "Unemployment fell to 4.3% in May.",
        {"numbers_changed"},
    ),
    ("date", "The vote is on 12 March.", "The vote is on 19 March.", {"numbers_changed"}),
    (
        "number and words",
        "Police arrested 3 men on Friday.",
        "Police arrested 5 women on Saturday.",
        {"numbers_changed", "wording"},
    ),
    (
        "quote edited",
        "She said “we will not resign” on Friday.",
        "She said “we may resign” on Friday.",
        {"quotes_changed", "wording"},
    ),
    (
        "quote typo",
        "She said “we will not resing” today.",
        "She said “we will not resign” today.",
        {"quotes_changed", "typo"},
    ),
    (
        "wording",
        "Officials said the bridge was safe.",
        "Engineers warned the bridge was unsafe.",
        {"wording"},
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_edit_classes(name: str, old: str, new: str, expected: set[str]) -> None:
    assert set(classify_edit(old, new)) == expected


def test_a_typo_fix_is_not_numbers_changed() -> None:
    assert "numbers_changed" not in classify_edit("Teh 5 men left.", "The 5 men left.")


def test_recurling_quotes_is_not_quotes_changed() -> None:
    assert "quotes_changed" not in classify_edit("'a' \"b c\"", "‘a’ “b c”")


def test_significance_ranks_edits() -> None:
    base = "The minister said the plan would cost $60 million and be ready in 2026."

    def score(new: str) -> float:
        return change_record(
            compare(base + "\n\nSecond paragraph here.", new + "\n\nSecond paragraph here.")
        ).significance

    cosmetic = score(base.replace("minister", "Minister"))
    typo = score(base.replace("would", "woud"))
    number = score(base.replace("$60", "$90"))
    assert cosmetic < typo < number
    assert cosmetic <= 0.2
    assert number >= 0.7


def test_title_change_kind() -> None:
    record = change_record(compare("A b c.", "A b c."), old_title="Old", new_title="New")
    assert record.kinds == ("title_changed",)
    assert record.title_changed == TitleChange("Old", "New")


def test_change_record_is_deterministic() -> None:
    old = parse_text("Prices rose 5% on Monday.\n\nThe minister said “we will act”.")
    new = parse_text("Prices rose 6% on Monday.\n\nThe minister said “we must act”.")
    assert change_record(compare(old, new)) == change_record(compare(old, new))


@settings(max_examples=60, deadline=None)
@given(edited_pair(), st.sampled_from([None, "Old title"]), st.sampled_from([None, "New title"]))
def test_change_record_survives_its_json_form(pair, old_title, new_title) -> None:
    """What is stored (to_json, through a JSON column) reads back as the same record."""
    record = change_record(compare(*pair), old_title=old_title, new_title=new_title, revert_of=3)
    assert ChangeRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    assert record.to_json() == asdict(record)  # written out, it is still asdict's form


def test_splits_merges_boilerplate_and_a_first_title_all_get_kinds() -> None:
    whole = "The council met on Monday. It voted to close the bridge to lorries next week."
    halves = "The council met on Monday.\n\nIt voted to close the bridge to lorries next week."
    split = change_record(compare(whole, halves))
    assert split.kinds == ("paragraph_split",)
    merged = change_record(compare(halves, whole))
    assert merged.kinds == ("paragraph_merged",)
    chrome = change_record(compare(f"{whole}\n\nSHARE", whole))
    assert chrome.kinds == ("boilerplate_changed",)
    titled = change_record(compare(whole, whole), old_title=None, new_title="Bridge to close")
    assert titled.kinds == ("title_changed",)
    assert titled.title_changed == TitleChange(None, "Bridge to close")
    for record in (split, merged, chrome, titled):
        assert record.significance > 0
    untitled = change_record(compare(whole, whole), old_title="Bridge", new_title=None)
    assert untitled.title_changed is None  # no title sent is not a title removed


def test_gutting_an_article_ranks_above_removing_one_section(seeds: tuple[str, str]) -> None:
    old = parse_text(seeds[1])
    first = old[:1]
    gutted = change_record(compare(old, first)).significance
    section = change_record(compare(*seeds)).significance
    assert section >= 0.9
    assert gutted >= section


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_removing_more_never_ranks_lower(data: st.DataObject) -> None:
    """Removing a superset of what another edit removes never scores lower."""
    old = data.draw(document)
    indices = list(range(len(old)))
    smaller = set(data.draw(st.lists(st.sampled_from(indices), unique=True))) if indices else set()
    larger = smaller | set(
        data.draw(st.lists(st.sampled_from(indices), unique=True)) if indices else []
    )

    def keep(removed: set[int]) -> list[Block]:
        return [b for k, b in enumerate(old) if k not in removed]

    low = change_record(compare(old, keep(smaller))).significance
    high = change_record(compare(old, keep(larger))).significance
    assert high >= low


@settings(max_examples=150, deadline=None)
@given(edited_pair())
def test_every_change_has_a_kind_and_a_significance(pair) -> None:
    old, new = pair
    diff = compare(old, new)
    record = change_record(diff)
    if any(e.op != "equal" for e in diff.entries):
        assert record.kinds
        assert record.significance > 0
