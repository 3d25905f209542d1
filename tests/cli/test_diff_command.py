"""python -m app diff, without a server: formats in and out, stdin, and diff's exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
R1, R2 = FIXTURES / "putin-china.r1.txt", FIXTURES / "putin-china.r2.txt"
H1, H2 = FIXTURES / "putin-china.r1.html", FIXTURES / "putin-china.r2.html"


def diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_entry_point_exits_like_diff() -> None:
    """Run once as a process: 1 because the seeds differ, the unified text on stdout."""
    out = subprocess.run(
        [sys.executable, "-m", "app", "diff", str(R1), str(R2)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    assert "# section removed: Energy alliance" in out.stdout


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = diff(capsys, str(R1), str(R2), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["summary"]["sections_removed"] == 1
    assert [s["heading"] for s in data["sections"]] == ["Energy alliance"]


def test_html_is_the_api_fragment(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = diff(capsys, str(R1), str(R2), "--format", "html")
    assert code == 1
    assert out.startswith('<div class="article-diff">\n<style>')
    assert '<section id="ad-c2" data-op="delete" data-kind="section"' in out
    assert "<del>Energy alliance</del>" in out


def test_unified_defaults_to_three_blocks_of_context(capsys: pytest.CaptureFixture[str]) -> None:
    _, default, _ = diff(capsys, str(R1), str(R2))
    _, three, _ = diff(capsys, str(R1), str(R2), "--context", "3")
    _, none, _ = diff(capsys, str(R1), str(R2), "--context", "0")
    assert default == three
    assert "- [heading] Energy alliance" in none
    assert "  Before leaving Moscow" not in none
    assert "  Before leaving Moscow" in three


def test_html_and_markdown_files_are_read_as_such(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = diff(capsys, str(H1), str(H2), "--format", "json")
    assert code == 1
    _, text_out, _ = diff(capsys, str(R1), str(R2), "--format", "json")
    assert json.loads(out)["summary"] == json.loads(text_out)["summary"]
    assert "<p" not in out  # read as HTML, not as text that happens to hold tags
    old, new = tmp_path / "a.md", tmp_path / "b.md"
    old.write_text("## Oil\n\nPrices *rose* on Monday.")
    new.write_text("## Oil\n\nPrices **rose** on Monday.")
    assert diff(capsys, str(old), str(new))[0] == 0  # emphasis is not a change
    assert diff(capsys, str(old), str(new), "--input-format", "text")[0] == 1


def test_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(R1.read_text(encoding="utf-8")))
    code, out, _ = diff(capsys, "-", str(R2))
    assert code == 1
    assert "--- -" in out
    code, _, err = diff(capsys, "-", "-")
    assert code == 2
    assert "only one" in err


def test_trouble_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = diff(capsys, "/nonexistent", str(R2))
    assert code == 2
    assert "error" in err
    deep = tmp_path / "deep.html"
    deep.write_text("<div>" * 1000)
    assert diff(capsys, str(deep), str(H1))[0] == 2
    with pytest.raises(SystemExit) as negative:
        diff(capsys, str(R1), str(R2), "--context", "-1")
    assert negative.value.code == 2
    assert "0 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit) as words:
        diff(capsys, str(R1), str(R2), "--context", "three")
    assert words.value.code == 2
    assert "--context: must be a whole number, not 'three'" in capsys.readouterr().err


def test_a_file_not_in_utf8_is_named_with_what_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Café au lait.".encode("latin-1"))
    code, _, err = diff(capsys, str(R1), str(latin1))
    assert code == 2
    assert f"error: {latin1} is not UTF-8 text (byte 0xe9 at offset 3)" in err
    assert "iconv" in err


def test_same_text_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert diff(capsys, str(R1), str(R1))[0] == 0
