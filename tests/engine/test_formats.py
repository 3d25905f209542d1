"""HTML and Markdown give the same blocks as text; the real Markdown corpus replays."""

import itertools
import json
from pathlib import Path

import pytest

from app.engine import compare, parse_html, parse_markdown, parse_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = FIXTURES / "corpus" / "digitalgov-news.jsonl"


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


def test_whole_page_goes_through_main_content_extraction() -> None:
    body = " ".join(["The council approved the new budget after a long debate."] * 4)
    page = f"""<html><head><title>x</title></head><body>
      <header><a href="/">Site</a> <a href="/world">World</a> <a href="/sport">Sport</a></header>
      <div id="content"><h2>Budget approved</h2><p>{body}</p>
      <p>Opposition members said the plan would raise taxes for families next year.</p></div>
      <footer>Contact us · Privacy policy · Terms of use</footer></body></html>"""
    texts = [b.text for b in parse_html(page)]
    assert "Budget approved" in texts
    assert body in texts
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


def corpus_steps() -> list[tuple[str, str, str]]:
    steps = []
    with CORPUS.open(encoding="utf-8") as lines:
        posts = [json.loads(line) for line in lines]
    for post in posts:
        versions = post["versions"]
        for before, after in itertools.pairwise(versions):
            steps.append((post["path"], before["body"], after["body"]))
    return steps


def test_corpus_replay_reports_every_removed_heading() -> None:
    steps = removed_seen = 0
    for path, before, after in corpus_steps():
        old, new = parse_markdown(before), parse_markdown(after)
        diff = compare(old, new)
        steps += 1
        # Every block on both sides is accounted for exactly once.
        olds = sorted({e.old_index for e in diff.entries if e.old_index is not None})
        news = sorted({e.new_index for e in diff.entries if e.new_index is not None})
        assert olds == list(range(len(old))), path
        assert news == list(range(len(new))), path
        # The reverse diff mirrors the forward one.
        back = compare(new, old)
        assert back.summary["paragraphs_added"] == diff.summary["paragraphs_removed"], path
        assert back.summary["sections_added"] == diff.summary["sections_removed"], path
        # Headings the authors removed (by text) are reported as removed headings or sections.
        gone = {b.text for b in old if b.kind == "heading"} - {
            b.text for b in new if b.kind == "heading"
        }
        reported = set(diff.headings["removed"]) | {
            s.heading for s in diff.sections if s.op == "delete"
        }
        reported |= {old_new[0] for old_new in diff.headings["changed"]}
        assert gone <= reported, (path, gone - reported)
        removed_seen += len(gone)
    assert steps > 400
    assert removed_seen > 5


@pytest.mark.parametrize("threshold_pair", [(0.55, 0.65)])
def test_thresholds_separate_real_edits_from_unrelated_paragraphs(threshold_pair) -> None:
    """On the corpus: unrelated paragraphs of one article rarely reach the modify threshold."""
    from app.engine.align import MODIFY_THRESHOLD, dice, words

    assert threshold_pair == (MODIFY_THRESHOLD, 0.65)
    over = total = 0
    for _, _, after in corpus_steps()[::10]:
        paras = [words(b.text) for b in parse_markdown(after) if b.kind == "paragraph"]
        for i in range(len(paras)):
            for j in range(i + 1, len(paras)):
                if len(paras[i]) >= 8 and len(paras[j]) >= 8:
                    total += 1
                    over += dice(paras[i], paras[j]) >= MODIFY_THRESHOLD
    assert total > 1000
    assert over / total < 0.005
