"""A client generated from openapi.yaml by openapi-python-client works against the server."""

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """openapi-python-client run on openapi.yaml; fails on any warning."""
    tmp_path = tmp_path_factory.mktemp("generated")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [
            Path(sys.executable).parent / "openapi-python-client",
            "generate",
            "--path",
            str(ROOT / "openapi.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "article_diff_client"),
            "--config",
            str(ROOT / "openapi-client.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "warning" not in (generated.stdout + generated.stderr).lower(), generated.stdout
    return tmp_path


def test_generated_client_publishes_text_and_reads_problems(server: str, generated: Path) -> None:
    tmp_path = generated
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module("article_diff_client")
        create = importlib.import_module("article_diff_client.api.articles.create_revision")
        get_article = importlib.import_module("article_diff_client.api.articles.get_article")
        unified = importlib.import_module("article_diff_client.api.diffs.get_diff_unified")
        backfill = importlib.import_module("article_diff_client.api.import_.import_revisions")
        types = importlib.import_module("article_diff_client.types")
        models = importlib.import_module("article_diff_client.models")
    finally:
        sys.path.remove(str(tmp_path))
    with package.Client(base_url=server) as client:
        for text in ("Rates rose 5% on Monday.", "Rates rose 6% on Monday."):
            stored = create.sync(
                client=client, article_id="gen", body=models.TextRevision(text=text)
            )
            assert isinstance(stored, models.IngestResult), stored
        assert stored.revision == 2
        assert stored.change.summary.paragraphs_modified == 1

        problem = get_article.sync(client=client, article_id="nope")
        assert isinstance(problem, models.Problem)
        assert (problem.status, problem.code) == (404, "not_found")
        assert "nope" in problem.detail

        lines = b'{"article_id": "gen-bulk", "text": "One."}\n{"article_id": "gen-bulk"}\n'
        report = backfill.sync(
            client=client, body=types.File(payload=io.BytesIO(lines), file_name="a.ndjson")
        )
        assert isinstance(report, models.ImportResult), report
        assert (report.created, report.failed, report.failures[0].line) == (1, 1, 2)

        text = unified.sync(client=client, article_id="gen")
        assert isinstance(text, str)
        assert "~ Rates rose [-5-]{+6+}% on Monday." in text
