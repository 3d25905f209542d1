"""HTML and Markdown give the same blocks as text."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.engine import (
    NestingTooDeep,
    change_record,
    compare,
    page_title,
    parse_html,
    parse_markdown,
    parse_text,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_seed_html_parses_to_the_text_blocks() -> None:
    for k in (1, 2):
        assert parse_html(read(f"putin-china.r{k}.html")) == parse_text(
            read(f"putin-china.r{k}.txt")
        )


def test_seed_html_diff_equals_the_text_diff() -> None:
    text = compare(read("putin-china.r1.txt"), read("putin-china.r2.txt"))
    html = compare(parse_html(read("putin-china.r1.html")), parse_html(read("putin-china.r2.html")))
    assert html.to_dict() == text.to_dict()
    mixed = compare(parse_text(read("putin-china.r1.txt")), parse_html(read("putin-china.r2.html")))
    assert mixed.to_dict() == text.to_dict()


def test_html_drops_chrome_and_keeps_structure() -> None:
    page = """<div><nav><a>Home</a></nav><h1>Title here</h1>
      <p>Intro <a href="/x">with a link</a>.</p><script>evil()</script><style>p{}</style>
      <noscript>enable js</noscript><iframe src="x"></iframe>
      <ul><li>First item</li><li>Second <em>item</em></li></ul>
      <blockquote><p>A quoted line.</p></blockquote>
      <figure><img src="a.jpg"><figcaption>A caption.</figcaption></figure>
      <div class="social-share">Share this</div><aside>Related stories</aside></div>"""
    assert [(b.kind, b.text) for b in parse_html(page)] == [
        ("heading", "Title here"),
        ("paragraph", "Intro with a link."),
        ("list_item", "First item"),
        ("list_item", "Second item"),
        ("quote", "A quoted line."),
        ("caption", "A caption."),
    ]


def kinds_and_texts(html: str) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in parse_html(html)]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Sign up<br>today.</p>", [("paragraph", "Sign up today.")]),
        ("<h2>Storm<br/>Live</h2>", [("heading", "Storm Live")]),
        (
            "<figure><figcaption>A dog.<br>Photo: Ann Lee</figcaption></figure>",
            [("caption", "A dog. Photo: Ann Lee")],
        ),
        ("<p>One <em>two<br>three</em> four.</p>", [("paragraph", "One two three four.")]),
        # Two line breaks in a row end a paragraph, as a blank line does in text.
        (
            "<div>First one.<br><br>\n<br>Second one.</div>",
            [("paragraph", "First one."), ("paragraph", "Second one.")],
        ),
        (
            "<p>First one.<br> <br>Second one.</p>",
            [("paragraph", "First one."), ("paragraph", "Second one.")],
        ),
        (
            "<div>First one.<hr>Second one.</div>",
            [("paragraph", "First one."), ("paragraph", "Second one.")],
        ),
        # Blocks inside a list item or a table cell are not glued together.
        (
            "<table><tr><td><p>Ann Lee</p><p>Rep.</p></td><td>1,204<br>votes</td></tr></table>",
            [("paragraph", "Ann Lee Rep. | 1,204 votes")],
        ),
        (
            "<ul><li><div>First</div><div>Second</div></li></ul>",
            [("list_item", "First"), ("list_item", "Second")],
        ),
        # Nor inside an inline element around them (an old CMS's <font>, an edit's <ins>).
        (
            '<div><span class="body"><p>First one.</p><p>Second one.</p></span></div>',
            [("paragraph", "First one."), ("paragraph", "Second one.")],
        ),
        (
            "<font face=Arial><p>First one.</p><p>Second one.</p></font>",
            [("paragraph", "First one."), ("paragraph", "Second one.")],
        ),
        (
            "<blockquote><ins><p>Said one.</p><p>Said two.</p></ins></blockquote>",
            [("quote", "Said one."), ("quote", "Said two.")],
        ),
        (
            '<a href="/fire"><h2>Fire spreads</h2></a><p>Crews came at <a href="#">dawn</a>.</p>',
            [("heading", "Fire spreads"), ("paragraph", "Crews came at dawn.")],
        ),
    ],
)
def test_html_line_breaks_and_nested_blocks_keep_words_apart(
    html: str, expected: list[tuple[str, str]]
) -> None:
    """A <br> used to vanish inside a paragraph ("Sign uptoday."), and blocks inside a list
    item ran together ("FirstSecond")."""
    assert kinds_and_texts(html) == expected


def test_markdown_inline_br_is_a_space_as_in_html() -> None:
    assert parse_markdown("Sign up<br>today, <BR/>now.") == parse_html(
        "<p>Sign up<br>today, <br>now.</p>"
    )
    assert parse_markdown("Sign up<br>today.")[0].text == "Sign up today."


def test_html_q_reads_in_quotation_marks_so_its_edits_are_quote_changes() -> None:
    """Browsers show a <q> in quotation marks; its text came without them, so an edit
    inside it was not a quotes_changed."""
    old = parse_html("<p>The mayor said <q>we will win</q> on Monday.</p>")
    new = parse_html("<div>The mayor said <q>we might win</q> on Monday.</div>")
    assert old[0].text == "The mayor said “we will win” on Monday."
    assert "quotes_changed" in change_record(compare(old, new)).kinds


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("- a\n\n- b\n\nAfter.", "<ul><li><p>a</p></li><li><p>b</p></li></ul><p>After.</p>"),
        ("- item\n  - nested\n- two", "<ul><li>item<ul><li>nested</li></ul></li><li>two</li></ul>"),
        (
            "| Name | Votes |\n|---|---|\n| Smith | 1,204 |",
            "<table><thead><tr><th>Name</th><th>Votes</th></tr></thead>"
            "<tbody><tr><td>Smith</td><td>1,204</td></tr></tbody></table>",
        ),
    ],
    ids=["loose-list", "nested-list", "table"],
)
def test_html_reads_as_the_markdown_it_was_rendered_from(markdown: str, html: str) -> None:
    """HTML versus Markdown is never a change: list items holding paragraphs or lists
    stay list items, and a table row is one block in both."""
    assert parse_html(html) == parse_markdown(markdown)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "Key points:\n\n- Rates rose 0.25 points\n- Inflation fell to 3%\n\nThe vote was late.",
            "<p>Key points:</p><ul><li>Rates rose 0.25 points</li><li>Inflation fell to 3%</li>"
            "</ul><p>The vote was late.</p>",
        ),
        (
            "How to vote:\n\n1. Register online\n2) Vote by mail\n\nPolls close at 8 p.m.",
            "<p>How to vote:</p><ol><li>Register online</li><li>Vote by mail</li></ol>"
            "<p>Polls close at 8 p.m.</p>",
        ),
        (  # items in a paragraph's lines, one of them wrapped
            "Key points\n• Rates rose\n• Markets\nrallied\n\nThe vote was late.",
            "<h2>Key points</h2><ul><li>Rates rose</li><li>Markets rallied</li></ul>"
            "<p>The vote was late.</p>",
        ),
    ],
    ids=["bullets", "numbers", "wrapped"],
)
def test_text_lists_read_as_the_html_lists(text: str, html: str) -> None:
    """A list in plain text is list items, as the same list in HTML or Markdown: the
    bullets ran together into one paragraph, or the first item read as a heading."""
    assert parse_text(text) == parse_html(html)


@pytest.mark.parametrize(
    "text", ["– Yes, he said, it was late.", "-5 degrees tonight.", "* * *", "2024. A year."]
)
def test_text_that_only_looks_like_a_list_stays_as_it_is(text: str) -> None:
    assert [b.kind for b in parse_text(text)] != ["list_item"]
    assert parse_text(text)[0].text == text


def test_numbered_headings_in_text_stay_headings() -> None:
    """A numbered line is a list item only beside another: one above its own text is a
    section heading."""
    text = "1. Background\n\nThe storm hit the coast.\n\n2. Response\n\nCrews arrived."
    assert [(b.kind, b.text) for b in parse_text(text)] == [
        ("heading", "1. Background"),
        ("paragraph", "The storm hit the coast."),
        ("heading", "2. Response"),
        ("paragraph", "Crews arrived."),
    ]


def test_whole_page_goes_through_main_content_extraction() -> None:
    body = " ".join(["The council approved the new budget after a long debate."] * 4)
    page = f"""<html><head><title>x</title></head><body>
      <header><a href="/">Site</a> <a href="/world">World</a> <a href="/sport">Sport</a></header>
      <div id="content"><h2>Budget approved</h2><p>{body}</p>
      <p>Opposition members said the plan would raise taxes for families next year.</p>
      <p>Sign up<br>today for the newsletter about the council and its budget.</p></div>
      <footer>Contact us · Privacy policy · Terms of use</footer></body></html>"""
    texts = [b.text for b in parse_html(page)]
    assert "Budget approved" in texts
    assert body in texts
    # The extractor writes a <br> as <lb/>: still a space.
    assert "Sign up today for the newsletter about the council and its budget." in texts
    assert not any("Privacy" in t or "Sport" in t for t in texts)


def test_hostile_html_is_inert_text_or_gone() -> None:
    blocks = parse_html('<p>Hi <img src=x onerror="alert(1)"> &lt;script&gt;x()&lt;/script&gt;</p>')
    assert (
        blocks[0].text == "Hi <script>x()</script>"
    )  # escaped text stays text; renderers escape it


def test_markdown_inline_markup_reduces_to_text() -> None:
    a = parse_markdown("## Energy\n\nOil [deal](https://a.example) and *gas* `code`.")
    b = parse_markdown("## Energy\n\nOil [deal](https://b.example/other) and **gas** code.")
    assert a == b
    assert [(x.kind, x.text) for x in a] == [
        ("heading", "Energy"),
        ("paragraph", "Oil deal and gas code."),
    ]


def test_markdown_shortcodes_and_raw_html_do_not_break_parsing() -> None:
    md = """{{< img src="x.png" alt="x" >}}

Some text {{< ref "other.md" >}} here.

<div class="note"><p>Raw <b>HTML</b> block.</p></div>

> A quote.

1. one
2. two
"""
    assert [(b.kind, b.text) for b in parse_markdown(md)] == [
        ("paragraph", "Some text here."),
        ("paragraph", "Raw HTML block."),
        ("quote", "A quote."),
        ("list_item", "one"),
        ("list_item", "two"),
    ]


@pytest.mark.parametrize(
    "front",
    [
        "---\ntitle: Storm\ndate: 2024-05-01\n---\n",
        "---\ntitle: Storm\n...\n",  # YAML's own end of document
        '+++\ntitle = "Storm"\ndate = 2024-05-01\n+++\n',  # Hugo's TOML
    ],
)
def test_markdown_front_matter_is_not_text(front: str) -> None:
    """TOML front matter (+++) read as a paragraph of the article."""
    assert [b.text for b in parse_markdown(f"{front}\nBody text.")] == ["Body text."]


def test_markdown_nested_past_the_parser_limit_is_refused_not_cut() -> None:
    """markdown-it drops what a block nested 20 levels deep holds: 20 nested quotes
    parsed to no block at all, and were stored as an empty revision."""
    kept = parse_markdown(">" * 17 + " Seventeen quotes deep.\n\nAfter.")
    assert [b.text for b in kept] == ["Seventeen quotes deep.", "After."]
    outline = "\n".join("  " * i + f"- level {i}" for i in range(8))
    assert len(parse_markdown(outline)) == 8  # an outline 8 deep is no problem
    for depth in (18, 20, 5000):
        with pytest.raises(NestingTooDeep, match="at most 18 are accepted"):
            parse_markdown(">" * depth + " Deep.\n\nAfter.")


def test_very_large_pages_are_walked_without_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Main-content extraction costs about 0.7 s per MB: past MAX_EXTRACT_CHARS it is skipped."""
    from app.engine import html_blocks

    def refuse(html: str) -> str:
        raise AssertionError("extraction must not run on a page this large")

    monkeypatch.setattr(html_blocks, "_extract_main", refuse)
    paragraph = "<p>Officials said the bridge would reopen next week after repairs.</p>"
    page = f"<html><body><nav>Home</nav>{paragraph * 20_000}<footer>About</footer></body></html>"
    assert len(page) > html_blocks.MAX_EXTRACT_CHARS
    blocks = html_blocks.parse_html(page)
    assert len(blocks) == 20_000
    assert {b.text for b in blocks} == {
        "Officials said the bridge would reopen next week after repairs."
    }


WORDS = ["oil", "gas", "deal", "said", "the", "new", "$60", "5%", "Monday", "rose"]
MARKUP = ["*em*", "**strong**", "[link](https://x.example)", "`code`", "![A photo](a.jpg)"]
line = st.lists(st.sampled_from(WORDS + MARKUP), min_size=1, max_size=8).map(
    lambda ws: " ".join(ws) + "."
)
markdown_block = st.one_of(
    st.lists(st.sampled_from(["Energy", "Oil", "Talks"]), min_size=1, max_size=3).map(
        lambda ws: "## " + " ".join(ws)
    ),
    st.lists(line, min_size=1, max_size=3).map("\n".join),  # a paragraph, hard-wrapped
    st.tuples(line, line).map("  \n".join),  # a hard line break
    st.lists(line, min_size=1, max_size=4).map(lambda ls: "\n".join("- " + x for x in ls)),
    st.lists(line, min_size=2, max_size=3).map(lambda ls: "\n\n".join("- " + x for x in ls)),
    st.lists(line, min_size=1, max_size=4).map(
        lambda ls: "\n".join(f"{k + 1}. {x}" for k, x in enumerate(ls))
    ),
    st.tuples(line, st.lists(line, min_size=1, max_size=2)).map(
        lambda t: "- " + t[0] + "".join("\n  - " + x for x in t[1])
    ),
    st.lists(line, min_size=1, max_size=3).map(lambda ls: "\n>\n".join("> " + x for x in ls)),
    st.lists(st.tuples(line, line), min_size=1, max_size=3).map(
        lambda rows: "| A | B |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    ),
)
RENDER = MarkdownIt("commonmark").enable("table")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(markdown_block, min_size=1, max_size=6).map(lambda bs: "\n\n".join(bs) + "\n"))
def test_markdown_rendered_to_html_parses_as_the_markdown(markdown: str) -> None:
    """A CMS that sends its Markdown rendered as HTML sends the same article: headings,
    wrapped and broken lines, tight, loose, numbered and nested lists, quotes, tables
    and images (their alt text is not article text either way) give the same blocks
    both ways."""
    assert parse_html(RENDER.render(markdown)) == parse_markdown(markdown)


@pytest.mark.parametrize(
    ("html", "title"),
    [
        (
            '<html><head><title>Storm | Daily</title><meta name="twitter:title" content="Tw">'
            '<meta property="og:title" content=" Storm &amp; rain "></head></html>',
            "Storm & rain",
        ),
        ('<html><head><meta name="twitter:title" content="Tw"></head></html>', "Tw"),
        (
            "<html><head><title>\n  Storm\n  hits | Daily </title></head><body></body></html>",
            "Storm hits | Daily",
        ),
        ("<html><head><title> </title></head></html>", None),
        ("<p>A fragment.</p><title>Not a head</title>", None),
        (f"<html><head><title>{'x' * 1001}</title></head></html>", None),
    ],
)
def test_a_page_title_comes_from_its_head(html: str, title: str | None) -> None:
    assert page_title(html) == title
