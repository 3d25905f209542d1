"""Edit classes and significance, including the negative cases."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import ChangeRecord, compare, parse_text
from app.engine.changes import TitleChange, change_record, classify_edit
from tests.engine.test_properties import edited_pair

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
