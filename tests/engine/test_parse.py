"""Parsing: reformatting never changes the blocks; headings and chrome are recognised."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import VISIBLE_TEXT_PATTERN, Block, compare, make_document, parse_text
from app.engine.classify import _glue_points, glue_candidates, is_boilerplate, split_glued_heading
from app.engine.normalize import normalize_text

INNER_CAPITALS = """YouTube iPhone eBay McDonald's PlayStation JavaScript LinkedIn WhatsApp
PowerPoint DreamWorks FedEx MacArthur DeSantis iTunes SharePoint ThinkPad BlackRock HarperCollins
GlaxoSmithKline MasterCard SoftBank WordPress DoorDash TikTok PayPal HuffPost BuzzFeed
MacBook DeepMind SeaWorld TripAdvisor WikiLeaks AstraZeneca GameStop JetBlue McConnell
O'Neill DiCaprio LaGuardia McKinsey StubHub SpaceX OpenAI iHeartMedia BlackBerry
PricewaterhouseCoopers ExxonMobil ConocoPhillips CinemaCon SoundCloud DropBox NetApp""".split()


def seed_blocks(text: str) -> list[Block]:
    return list(parse_text(text))


def test_seed_revisions_parse_to_the_same_blocks_except_real_changes(seeds) -> None:
    r1, r2 = seed_blocks(seeds[0]), seed_blocks(seeds[1])
    removed = {
        Block("heading", "Putin’s China visit"),
        Block("heading", "Energy alliance"),
        Block("boilerplate", "COMMents"),
        Block("boilerplate", "SHARE"),
    }
    assert removed <= set(r1)
    energy = [b for b in r1 if b.text.startswith("Noting that Russia")]
    assert len(energy) == 1
    assert energy[0].kind == "paragraph"
    assert [b for b in r1 if b not in removed and b not in energy] == r2
    assert len(r2) == 15
    assert all(b.kind == "paragraph" for b in r2)


@pytest.mark.parametrize(
    "variant",
    [
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace("\n", "\r"),
        lambda t: "\n".join(line + "   \t" for line in t.split("\n")),
        lambda t: t.replace(" ", "\u00a0", 5).replace("Putin", "Putin\u200b", 1),
        lambda t: "\n\n".join(t.split("\n")),
        lambda t: "\n\n\n" + "\n\n \n\n".join(t.split("\n")) + "\n\n",
        lambda t: t.replace("Café", "Cafe\u0301"),
    ],
    ids=[
        "crlf",
        "cr",
        "trailing-spaces",
        "nbsp-zero-width",
        "blank-lines",
        "many-blank-lines",
        "nfd",
    ],
)
def test_whitespace_only_reformatting_is_not_a_change(seeds, variant) -> None:
    original = make_document(parse_text(seeds[1]))
    assert make_document(parse_text(variant(seeds[1]))).sha256 == original.sha256


def test_hard_wrapped_paragraphs_are_joined() -> None:
    wrapped = (
        "The minister said on Tuesday that the\nfire at the plant was out and that\n"
        "nobody was hurt.\n\nThe plant will reopen\nnext week."
    )
    assert [b.text for b in parse_text(wrapped)] == [
        "The minister said on Tuesday that the fire at the plant was out and that nobody was hurt.",
        "The plant will reopen next week.",
    ]


def test_one_line_per_paragraph_inside_blank_line_text() -> None:
    text = "Intro line one.\nIntro line two.\n\nAnother paragraph."
    assert [b.text for b in parse_text(text)] == [
        "Intro line one.",
        "Intro line two.",
        "Another paragraph.",
    ]


def test_standalone_heading_needs_text_under_it() -> None:
    kinds = [b.kind for b in parse_text("Market turmoil\n\nStocks fell 5% on Monday.")]
    assert kinds == ["heading", "paragraph"]
    assert [b.kind for b in parse_text("Stocks fell on Monday")] == ["paragraph"]


@pytest.mark.parametrize("word", INNER_CAPITALS)
def test_inner_capitals_never_split(word: str) -> None:
    for text in (
        f"{word} said on Monday that profits rose sharply in the quarter.",
        f"Shares of {word} rose after the company said profits jumped.",
        f"{word} results beat forecasts and the shares rose on Monday.",
    ):
        assert split_glued_heading(text) is None, text
        assert [b.kind for b in parse_text(text)] == ["paragraph"]


# Paragraphs rich in glue points (lower-case then Capital+lower), some far
# from the start: the batch scan must find exactly the paragraphs that the
# per-paragraph search near the start finds.
_glue_prone = st.lists(
    st.sampled_from(["a", "e", "é", "Q", "É", "Tx", " ", "ab ", "x" * 40, "Ça", "\u2019"]),
    max_size=12,
).map("".join)


@given(st.lists(_glue_prone, max_size=8))
def test_glue_candidates_match_the_per_paragraph_search(paragraphs: list[str]) -> None:
    expected = {k for k, p in enumerate(paragraphs) if _glue_points(p)}
    assert glue_candidates(paragraphs) == expected


def test_a_glue_point_past_the_heading_window_is_not_a_candidate() -> None:
    near, far = "a" * 99 + "Bc", "a" * 101 + "Bc"
    assert glue_candidates([far, near, far]) == {1}


@pytest.mark.parametrize(
    ("glued", "heading"),
    [
        ("Energy allianceNoting that Russia already supplies oil to China.", "Energy alliance"),
        (
            "Putin’s China visitThe two countries are expected to sign a package.",
            "Putin’s China visit",
        ),
        ("What happens nextOfficials will meet again on Friday to decide.", "What happens next"),
        ("BackgroundThe dispute began in 2012 over fishing rights.", "Background"),
        ("Road to recoveryAfter the storm, residents returned home.", "Road to recovery"),
    ],
)
def test_glued_headings_are_repaired(glued: str, heading: str) -> None:
    blocks = parse_text(glued)
    assert blocks[0] == Block("heading", heading)
    assert blocks[1].kind == "paragraph"
    assert glued.endswith(blocks[1].text)


@pytest.mark.parametrize(
    "line",
    [
        "SHARE",
        "COMMents",
        "Comments",
        "12 comments",
        "Print",
        "Email this article",
        "Advertisement",
        "ADVERTISEMENT",
        "Read more",
        "Read more: Oil prices fall",
        "Subscribe to our newsletter",
        "Sign up for our daily newsletter",
        "Share on Facebook",
        "Tweet",
        "Story continues below advertisement",
        "• Share",
        "Share this article »",
        "Skip to content",
        "Follow us on Twitter",
        "View comments",
        "Copy link",
        "View this post on Instagram",  # embeds' own lines
        "A post shared by NASA (@nasa)",
        "View on TikTok",
    ],
)
def test_page_chrome_is_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell sharply on Monday.",
        "Comments from the minister angered farmers.",
        "Print media is in decline.",
        "Advertisement spending rose 4% last year.",
        "Read more than 40 pages of the report before the vote.",
        "Subscribers will pay more from January.",
        "A post shared by the minister was deleted on Monday.",
        "A post shared by the mayor (@mayor) drew criticism.",
    ],
)
def test_sentences_about_chrome_words_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("می\u200cخواهم بروم", "می\u200cخواهم بروم"),  # Persian: "I want to go"
        ("The \U0001f468\u200d\U0001f469\u200d\U0001f467 emoji", None),  # one family, not three
        ("क्\u200dष", None),  # Devanagari: a half form
        ("Rates\u200d rose \u200c", "Rates rose"),  # by a space or an edge: nothing to shape
        ("Rates\u200c\u200drose", "Ratesrose"),  # a run of joiners shapes nothing either
    ],
)
def test_joiners_between_characters_are_kept(sent: str, kept: str | None) -> None:
    """The zero-width non-joiner and joiner change how the letters beside them are
    written; they were removed with the zero-width space, joining Persian words and
    breaking emoji sequences apart."""
    assert normalize_text(sent) == (sent if kept is None else kept)
    assert [b.text for b in parse_text(sent)] == [sent if kept is None else kept]


@pytest.mark.parametrize(
    "text",
    [
        "能源联盟\n\n俄罗斯已经向中国供应石油。\n\n双方将签署协议。",
        "تحالف الطاقة\n\nمشيرا إلى أن روسيا تزود الصين بالنفط.\n\nوسيوقع الجانبان اتفاقا.",
        "ऊर्जा गठबंधन\n\nरूस चीन को तेल की आपूर्ति करता है।\n\nदोनों देश समझौता करेंगे।",
    ],
)
def test_headings_in_scripts_without_capitals(text: str) -> None:
    """A heading was told by its capital letter, so Chinese, Arabic or Hindi text had
    none: a section removed read as paragraphs removed."""
    heading = text.split("\n\n")[0]
    assert [b.kind for b in parse_text(text)] == ["heading", "paragraph", "paragraph"]
    diff = compare(f"Lead.\n\n{text}\n\nEnd.", "Lead.\n\nEnd.")
    assert [(s.op, s.heading) for s in diff.sections] == [("delete", heading)]


INVISIBLE_SAMPLES = (
    "\t\n\r \x0b\x0c\x01\x1f\x7f\x85\xa0\xad\u1680\u2003\u200b\u200d"
    "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(INVISIBLE_SAMPLES + "a#.\u0301\x80\u180e"), max_size=12))
def test_visible_text_pattern_says_exactly_when_text_parses_to_blocks(text: str) -> None:
    """The OpenAPI schema's rule for a text body is the parser's: it agrees on every text."""
    assert bool(re.match(VISIBLE_TEXT_PATTERN, text)) == bool(parse_text(text))
