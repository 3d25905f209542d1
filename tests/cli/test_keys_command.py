"""python -m app keys create | list | revoke, against a real database."""

import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import main
from app.db import create_db_engine, create_sessions
from app.services import keys


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command in-process (the entry point itself is run once, below)."""
    code = main(["keys", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_entry_point_prints_the_key_alone_on_the_last_line(own_database_url: str) -> None:
    command = ["keys", "create", "--scope", "write", "--name", "cms"]
    made = subprocess.run(
        [sys.executable, "-m", "app", *command, "--database-url", own_database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    *notes, secret = made.stdout.strip().splitlines()
    assert secret.startswith("adk_")
    assert " " not in secret
    assert any("shown only this once" in line for line in notes)


def test_create_list_revoke(own_database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    database = ["--database-url", own_database_url]
    code, out, _ = run(capsys, "create", "--scope", "read", "--name", "bot", *database)
    assert code == 0
    secret = out.strip().splitlines()[-1]

    code, listed, _ = run(capsys, "list", *database)
    assert code == 0
    assert "bot" in listed
    assert "read" in listed
    assert secret[:12] in listed
    assert secret not in listed  # never the key itself

    engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    try:
        with sessions.read() as session:
            key = keys.authenticate(session, secret)
            assert key is not None
            assert key.scope == "read"
        code, out, _ = run(capsys, "revoke", str(key.id), *database)
        assert code == 0
        assert "Revoked" in out
        with sessions.read() as session:
            assert keys.authenticate(session, secret) is None
    finally:
        engine.dispose()
    assert "revoked" in run(capsys, "list", *database)[1]


def test_mistakes_exit_2_with_a_message(
    own_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "revoke", "999", "--database-url", own_database_url)
    assert code == 2
    assert "No API key with id 999" in err
    with pytest.raises(SystemExit) as bad_scope:
        run(capsys, "create", "--scope", "root", "--name", "x")
    assert bad_scope.value.code == 2
    code, _, err = run(capsys, "list", "--database-url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 2
    assert "alembic upgrade head" in err


@pytest.mark.parametrize(
    ("name", "says"), [("n" * 101, "at most 100 characters, not 101"), ("  ", "needs a name")]
)
def test_a_name_the_key_table_cannot_hold_is_refused_saying_why(
    own_database_url: str, capsys: pytest.CaptureFixture[str], name: str, says: str
) -> None:
    """A 150-character name said "the database is unusable; is it migrated?" on PostgreSQL."""
    code, out, err = run(
        capsys, "create", "--scope", "read", "--name", name, "--database-url", own_database_url
    )
    assert code == 2
    assert says in err
    assert "adk_" not in out
    assert run(capsys, "list", "--database-url", own_database_url)[1].count("read") == 0
