"""python -m app diff, without a server."""

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
R1, R2 = FIXTURES / "putin-china.r1.txt", FIXTURES / "putin-china.r2.txt"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, check=False
    )


def test_cli_json() -> None:
    out = run("diff", str(R1), str(R2), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["summary"]["sections_removed"] == 1
    assert [s["heading"] for s in data["sections"]] == ["Energy alliance"]


def test_cli_unified_with_context() -> None:
    out = run("diff", str(R1), str(R2), "--context", "0")
    assert out.returncode == 0
    assert "# section removed: Energy alliance" in out.stdout
    assert "- [heading] Energy alliance" in out.stdout
    assert "  Before leaving Moscow" not in out.stdout


def test_cli_missing_file() -> None:
    out = run("diff", "/nonexistent", str(R2))
    assert out.returncode == 2
    assert "error" in out.stderr
