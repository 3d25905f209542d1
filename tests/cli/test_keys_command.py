"""python -m app keys create | list | revoke, against a real database."""

import subprocess
import sys

from app.db import create_db_engine, create_sessions
from app.services import keys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "keys", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_create_list_revoke(own_database_url: str) -> None:
    made = run("create", "--scope", "write", "--name", "cms", "--database-url", own_database_url)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("adk_")
    assert " " not in secret

    listed = run("list", "--database-url", own_database_url)
    assert listed.returncode == 0
    assert "cms" in listed.stdout
    assert "write" in listed.stdout
    assert secret[:12] in listed.stdout
    assert secret not in listed.stdout  # never the key itself

    engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    try:
        with sessions.read() as session:
            key = keys.authenticate(session, secret)
            assert key is not None
            assert key.scope == "write"
        revoked = run("revoke", str(key.id), "--database-url", own_database_url)
        assert revoked.returncode == 0
        assert "Revoked" in revoked.stdout
        with sessions.read() as session:
            assert keys.authenticate(session, secret) is None
    finally:
        engine.dispose()
    assert "revoked" in run("list", "--database-url", own_database_url).stdout


def test_mistakes_exit_2_with_a_message(own_database_url: str, tmp_path) -> None:
    unknown = run("revoke", "999", "--database-url", own_database_url)
    assert unknown.returncode == 2
    assert "No API key with id 999" in unknown.stderr
    bad_scope = run("create", "--scope", "root", "--name", "x", "--database-url", own_database_url)
    assert bad_scope.returncode == 2
    unmigrated = run("list", "--database-url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert unmigrated.returncode == 2
    assert "alembic upgrade head" in unmigrated.stderr
