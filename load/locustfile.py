"""The load mix for `make load` (locust): newsroom clients publishing successive
versions of real articles (../shared/corpus histories, as text), with readers of
histories and diffs. Each simulated user owns an article of its own."""

import itertools
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

from bench.ingest import histories

CORPUS = Path(
    os.environ.get("CORPUS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
HISTORIES = [h for h in histories(CORPUS / "digitalgov-news.jsonl") if len(h) >= 2]
_USERS = itertools.count()


class Newsroom(HttpUser):
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        n = next(_USERS)
        self.versions = HISTORIES[n % len(HISTORIES)]
        self.article = f"load-{os.getpid()}-{n}"
        self.next = 0
        self.stored = 0
        self.publish()

    @task(3)
    def publish(self) -> None:
        text = self.versions[self.next % len(self.versions)]
        # Past the end of its history the text cycles; a marker keeps every version new.
        if self.next >= len(self.versions):
            text += f"\n\nUpdate {self.next}."
        self.next += 1
        with self.client.post(
            f"/v1/articles/{self.article}/revisions",
            json={"text": text},
            name="POST revision",
            catch_response=True,
        ) as response:
            self._expect(response, (200, 201))
            if response.status_code == 201:
                self.stored = int(response.json()["revision"])

    @task(2)
    def history(self) -> None:
        with self.client.get(
            f"/v1/articles/{self.article}/history", name="GET history", catch_response=True
        ) as response:
            self._expect(response, (200,))

    @task(2)
    def diff(self) -> None:
        if self.stored < 2:
            return
        older = random.randint(1, self.stored - 1)
        with self.client.get(
            f"/v1/articles/{self.article}/diff?from={older}&to={self.stored}",
            name="GET diff",
            catch_response=True,
        ) as response:
            self._expect(response, (200,))

    @staticmethod
    def _expect(response: Any, statuses: tuple[int, ...]) -> None:
        if response.status_code in statuses:
            response.success()
        else:
            response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
