"""Stored change records: history, the cross-article feed, provenance, reverts, titles."""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from app.engine import Summary, change_record, compare
from app.schemas import ChangeRead, change_json


def publish(client: TestClient, article: str, text: str, **extra):
    r = client.post(f"/v1/articles/{article}/revisions", json={"text": text, **extra})
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_seed_history_feed_and_blame(client: TestClient, seeds) -> None:
    publish(client, "putin-china", seeds[0])
    publish(client, "putin-china", seeds[1])
    history = client.get("/v1/articles/putin-china/history").json()["items"]
    assert [h["revision"] for h in history] == [1, 2]
    assert history[0]["change"] is None
    change = history[1]["change"]
    assert "section_removed" in change["kinds"]
    assert change["sections_removed"] == ["Energy alliance"]
    assert change["headings"]["removed"] == ["Putin’s China visit"]
    assert change["significance"] >= 0.9
    # The stored record is what re-computing gives.
    assert change["summary"] == asdict(change_record(compare(*seeds)).summary)
    feed = client.get("/v1/changes", params={"kind": "section_removed"}).json()["items"]
    assert [(f["article_id"], f["revision"], f["from_revision"]) for f in feed] == [
        ("putin-china", 2, 1)
    ]
    assert client.get("/v1/changes", params={"kind": "quotes_changed"}).json()["items"] == []
    blame = client.get("/v1/articles/putin-china/revisions/2/blame").json()["blocks"]
    assert len(blame) == 15
    assert {(b["origin_revision"], b["text_revision"]) for b in blame} == {(1, 1)}


def test_a_record_of_an_older_engine_reads_complete() -> None:
    """Records stored before later counts and fields existed read with them as 0 and null."""
    record = {
        "summary": {"paragraphs_added": 2, "words_added": 30},
        "kinds": ["paragraph_added"],
        "significance": 0.4,
        "sections_added": [],
        "sections_removed": [],
        "headings": {"added": [], "removed": [], "changed": []},
        "edit_classes": [],
        "block_edit_classes": [{"new_index": 3, "classes": ["wording"]}],
    }
    change = change_json(1, record)
    assert change["summary"] == asdict(Summary(paragraphs_added=2, words_added=30))
    assert len(change["summary"]) == 16
    assert change["summary"]["boilerplate_removed"] == 0
    assert (change["title_changed"], change["revert_of"]) == (None, None)
    assert change["from_revision"] == 1
    assert "block_edit_classes" not in change
    assert ChangeRead.model_validate(change).summary.paragraphs_added == 2


def test_blame_follows_a_paragraph_added_then_edited(client: TestClient) -> None:
    a = "The storm reached the coast on Sunday night with winds of 120 km/h."
    b = "Thousands of homes lost power and schools will stay closed on Monday."
    b2 = "Tens of thousands of homes lost power and schools will stay closed on Monday."
    publish(client, "storm", a)
    publish(client, "storm", f"{a}\n\n{b}")
    publish(client, "storm", f"{a}\n\n{b2}")
    blame = client.get("/v1/articles/storm/revisions/3/blame").json()["blocks"]
    assert [(x["origin_revision"], x["text_revision"]) for x in blame] == [(1, 1), (2, 3)]
    assert client.get("/v1/articles/storm/revisions/latest/blame").json()["revision"] == 3


def test_reverts_and_title_changes(client: TestClient) -> None:
    v1 = "The minister resigned on Friday after weeks of pressure from her party."
    v2 = "The minister resigned on Friday after months of pressure from her party."
    publish(client, "m", v1, title="Minister resigns")
    publish(client, "m", v2, title="Minister resigns")
    third = publish(client, "m", v1, title="Minister quits")
    assert third["revision"] == 3
    assert third["revert_of"] == 1
    history = client.get("/v1/articles/m/history").json()["items"]
    assert history[2]["revert_of"] == 1
    assert history[2]["change"]["title_changed"] == {
        "old": "Minister resigns",
        "new": "Minister quits",
    }
    feed = client.get("/v1/changes", params={"kind": "title_changed"}).json()["items"]
    assert [(f["revision"], f["revert_of"]) for f in feed] == [(3, 1)]
    # Each item names the article by its current title too.
    assert [f["title"] for f in feed] == ["Minister quits"]
    # A new title alone is a new revision; the same title and text is not.
    assert publish(client, "m", v1, title="Minister quits")["created"] is False
    assert publish(client, "m", v1, title="Minister steps down")["created"] is True


def test_feed_filters(client: TestClient) -> None:
    base = "The company said profits rose 5% to $60 million in the third quarter."
    publish(client, "q", base)
    publish(client, "q", base.replace("5%", "7%"))
    publish(client, "r", "Police said “the suspect fled on foot” after the robbery.")
    publish(client, "r", "Police said “the suspect fled by car” after the robbery.")
    numbers = client.get("/v1/changes", params={"kind": "numbers_changed"}).json()["items"]
    assert [f["article_id"] for f in numbers] == ["q"]
    quotes = client.get("/v1/changes", params={"kind": "quotes_changed"}).json()["items"]
    assert [f["article_id"] for f in quotes] == ["r"]
    both = client.get("/v1/changes", params={"kind": "numbers_changed,quotes_changed"}).json()
    assert [f["article_id"] for f in both["items"]] == ["r", "q"]
    only_q = client.get("/v1/changes", params={"article_id": "q"}).json()["items"]
    assert [f["article_id"] for f in only_q] == ["q"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/v1/changes", params={"since": future}).json()["items"] == []
    assert len(client.get("/v1/changes", params={"until": future}).json()["items"]) == 2
    high = client.get("/v1/changes", params={"min_significance": 0.8}).json()["items"]
    assert [f["article_id"] for f in high] == ["r"]


def test_feed_paginates_every_change_once_in_order(client: TestClient) -> None:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    expected = set()
    # Articles interleaved, so every page mixes articles; ties on the timestamp are
    # covered by tests/storage (keyset on received_at, then id).
    for rev in range(6):
        for art in range(12):
            text = (
                f"Story {art} opens with a paragraph that stays the same in every version.\n\n"
                f"Update {rev}: officials said {words[rev % 8]} crews were sent to area {art}."
            )
            publish(client, f"a{art}", text)
            if rev:
                expected.add((f"a{art}", rev + 1))
    seen: list[tuple[str, int]] = []
    stamps = []
    cursor = None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/changes", params=params).json()
        seen += [(f["article_id"], f["revision"]) for f in page["items"]]
        stamps += [f["received_at"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(expected) == 60
    assert set(seen) == expected
    assert stamps == sorted(stamps, reverse=True)


def test_history_paginates(client: TestClient) -> None:
    for k in range(5):
        publish(client, "h", f"Paragraph number {k} of the story is here.")
    page = client.get("/v1/articles/h/history", params={"limit": 2}).json()
    assert page["article_id"] == "h"
    seen = [item["revision"] for item in page["items"]]
    assert seen == [1, 2]
    while page["next_cursor"]:
        page = client.get(
            "/v1/articles/h/history", params={"limit": 2, "cursor": page["next_cursor"]}
        ).json()
        seen += [item["revision"] for item in page["items"]]
    assert seen == [1, 2, 3, 4, 5]
    assert page["items"][-1]["change"]["from_revision"] == 4


def test_every_stored_change_has_a_kind_the_feed_accepts(client: TestClient) -> None:
    whole = "The council met on Monday. It voted to close the bridge to lorries next week."
    publish(client, "k", whole)
    titled = publish(client, "k", whole, title="Bridge to close")  # same text, first title
    assert titled["created"] is True
    assert titled["change"]["kinds"] == ["title_changed"]
    assert titled["change"]["title_changed"] == {"old": None, "new": "Bridge to close"}
    assert titled["change"]["significance"] > 0
    split = publish(client, "k", whole.replace("Monday. ", "Monday.\n\n"), title="Bridge to close")
    assert split["change"]["kinds"] == ["paragraph_split"]
    assert split["change"]["significance"] > 0
    for kind in ("paragraph_split", "title_changed"):
        feed = client.get("/v1/changes", params={"kind": kind}).json()["items"]
        assert [(f["article_id"], f["kinds"]) for f in feed] == [("k", [kind])]
