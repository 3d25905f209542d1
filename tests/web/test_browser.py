"""The viewer in headless Chromium against the real server: what an editor sees and
does. Each test saves screenshots of its pages in its output folder (test-results/)."""

import re
import uuid
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> “quotes”'


def publish(base: str, article: str, text: str, title: str | None = None) -> None:
    body = {"text": text} | ({"title": title} if title else {})
    r = httpx.post(f"{base}/v1/articles/{article}/revisions", json=body, timeout=30)
    assert r.status_code == 201, r.text


def watch(page: Page) -> list[str]:
    """Console errors (a CSP violation is one) and dialogs (a script that ran)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    return problems


def focused(page: Page) -> str:
    """The id of the change that has focus."""
    return str(page.evaluate("document.activeElement.closest('[data-op]')?.id ?? ''"))


def test_the_seed_diff(page: Page, viewer: str, seeds: tuple[str, str], output_path: str) -> None:
    out = Path(output_path)
    article = f"seed-{uuid.uuid4().hex[:8]}"
    publish(viewer, article, seeds[0], title="Putin’s visit to China")
    publish(viewer, article, seeds[1], title="Putin’s visit to China")
    problems = watch(page)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{viewer}/ui/articles/{article}/diff?from=1&to=2")

    # The removed section: one block under its heading, clearly marked.
    section = page.locator('[data-op="delete"][data-kind="section"]')
    expect(section).to_have_count(1)
    expect(section.locator("header")).to_contain_text("Section removed")
    expect(section.locator("header")).to_contain_text("Energy alliance")
    expect(section).to_contain_text("Noting that Russia already supplies oil")
    # Styled by the served stylesheet (the CSP let it in): struck through, not colour alone.
    decoration = section.locator("del").first.evaluate(
        "e => getComputedStyle(e).textDecorationLine"
    )
    assert decoration == "line-through"
    # Page chrome is collapsed until asked for.
    chrome = page.locator('[data-kind="boilerplate"]')
    expect(chrome.first).to_be_hidden()
    page.get_by_text("Page chrome: 2 changed").click()
    expect(chrome.first).to_be_visible()
    page.get_by_text("Page chrome: 2 changed").click()
    page.screenshot(path=out / "diff-inline.png", full_page=True)

    # n and p walk the changes: the lone heading, then the section.
    page.locator("h1").click()
    page.keyboard.press("n")
    heading = page.locator('.ad-inline > [data-op="delete"][data-kind="heading"]')
    assert focused(page) == heading.get_attribute("id")
    page.keyboard.press("n")
    assert focused(page) == section.get_attribute("id")
    expect(section).to_be_in_viewport()
    page.keyboard.press("n")  # the last change stays put (chrome is collapsed)
    assert focused(page) == section.get_attribute("id")
    page.keyboard.press("p")
    assert focused(page) == heading.get_attribute("id")

    # Side by side, with the same walk.
    page.get_by_role("link", name="Side by side").click()
    expect(page).to_have_url(f"{viewer}/ui/articles/{article}/diff?from=1&to=2&view=side")
    table = page.locator("table.ad-side").first
    expect(table).to_be_visible()
    side_section = table.locator('tbody[data-op="delete"][data-kind="section"]')
    expect(side_section).to_contain_text("Energy alliance")
    page.keyboard.press("n")
    page.keyboard.press("n")
    assert focused(page) == side_section.get_attribute("id")
    page.screenshot(path=out / "diff-side-by-side.png", full_page=True)

    # Dark mode: the page follows the reader's setting.
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 22, 22)"
    page.screenshot(path=out / "diff-side-by-side-dark.png", full_page=True)
    assert problems == []


def test_timeline_feed_and_compare(page: Page, viewer: str, output_path: str) -> None:
    out = Path(output_path)
    article = f"timeline-{uuid.uuid4().hex[:8]}"
    publish(viewer, article, "Prices rose 5% on Monday.\n\nThe minister said nothing.", "Prices")
    publish(viewer, article, "Prices rose 6% on Monday.\n\nThe minister said nothing.", "Prices")
    publish(viewer, article, f"Prices rose 6% on Monday.\n\n{HOSTILE}", HOSTILE)
    problems = watch(page)

    page.goto(f"{viewer}/ui/")
    item = page.locator("li.feed-item", has_text=f"{article} · revision 2")
    expect(item).to_contain_text("numbers changed")
    page.screenshot(path=out / "feed.png", full_page=True)
    page.get_by_label("Kind").select_option("numbers_changed")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"{viewer}/ui/?kind=numbers_changed&min_significance=")
    feed = page.locator("li.feed-item", has_text=article)
    expect(feed).to_have_count(1)
    feed.get_by_role("link", name="history").click()

    expect(page.locator("h1")).to_have_text(HOSTILE)  # the title, as text
    rows = page.locator("table.timeline tbody tr")
    expect(rows).to_have_count(3)
    page.screenshot(path=out / "timeline.png", full_page=True)
    page.get_by_label("Compare from revision 1").check()
    page.get_by_label("Compare to revision 3").check()
    page.get_by_role("button", name="Compare selected revisions").click()
    expect(page).to_have_url(
        re.compile(rf"/ui/articles/{article}/diff\?(from=1&to=3|to=3&from=1)$")
    )
    modified = page.locator('[data-op="modify"]')
    expect(modified.locator("del")).to_have_text("5")
    expect(modified.locator("ins")).to_have_text("6")
    expect(page.locator('[data-op="insert"]')).to_contain_text(HOSTILE)
    page.screenshot(path=out / "diff-hostile.png", full_page=True)
    assert problems == []  # no script of the article ran, nothing was refused


def test_on_a_phone(page: Page, viewer: str, seeds: tuple[str, str], output_path: str) -> None:
    article = f"phone-{uuid.uuid4().hex[:8]}"
    publish(viewer, article, seeds[0])
    publish(viewer, article, seeds[1])
    page.set_viewport_size({"width": 390, "height": 844})
    for view in ("inline", "side"):
        page.goto(f"{viewer}/ui/articles/{article}/diff?view={view}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view}: {overflow}px wider than the phone"
        page.screenshot(path=Path(output_path) / f"phone-{view}.png", full_page=True)


AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"


def test_pages_pass_axe(
    browser: Browser, viewer: str, seeds: tuple[str, str], output_path: str
) -> None:
    """axe-core's WCAG 2 A and AA rules on every page, light and dark: no violations."""
    if not AXE.is_file():
        pytest.skip("needs tests/js/node_modules/axe-core (make install runs npm ci there)")
    article = f"axe-{uuid.uuid4().hex[:8]}"
    publish(viewer, article, seeds[0], title="Putin’s visit")
    publish(viewer, article, seeds[1].replace("all-time best", "best ever"), title="Putin’s visit")
    pages = [
        "/ui/",
        "/ui/articles",
        f"/ui/articles/{article}",
        f"/ui/articles/{article}/diff",
        f"/ui/articles/{article}/diff?view=side",
        f"/ui/articles/{article}/revisions/2",
        "/ui/key",
        "/ui/articles/none-such",
    ]
    found: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        # Only the test's own context may add axe's script: the pages' CSP forbids it.
        context = browser.new_context(bypass_csp=True, color_scheme=scheme)
        page = context.new_page()
        for number, path in enumerate(pages):
            page.goto(viewer + path)
            page.screenshot(path=Path(output_path) / f"{scheme}-{number}.png", full_page=True)
            page.add_script_tag(path=AXE)
            result = page.evaluate(
                "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
            )
            for violation in result["violations"]:
                where = [node["target"] for node in violation["nodes"]][:3]
                found.setdefault(f"{scheme} {path}", []).append(f"{violation['id']}: {where}")
        context.close()
    assert found == {}
