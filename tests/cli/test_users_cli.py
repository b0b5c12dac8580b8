"""`medcite users add|list|role|token` and `medcite audit verify|list` against a real store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from medcite.cli import app

runner = CliRunner()
FAST = {"MEDCITE_REVIEW__PASSWORD_TIME_COST": "2", "MEDCITE_REVIEW__PASSWORD_MEMORY_KIB": "19456"}
PASSWORD = "plum orchard at dusk"


def _run(home: Path, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, [*args, "--home", str(home)], input=stdin, env=FAST)


def _add_reviewer(home: Path) -> None:
    result = _run(home, "users", "add", "ana", "--role", "reviewer", "--name", "Ana Silva",
                  "--credentials", "MD", "--specialty", "Neurology", "--password-stdin",
                  stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def test_users_add_list_and_role(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _add_reviewer(home)
    prompted = _run(home, "users", "add", "eve", "--role", "editor",
                    stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and "added eve (editor)" in prompted.stdout
    listed = json.loads(_run(home, "users", "list", "--json").stdout)
    assert [(u["username"], u["role"]) for u in listed] == [("ana", "reviewer"), ("eve", "editor")]
    assert listed[0]["name"] == "Ana Silva" and listed[0]["specialty"] == "Neurology"
    assert "password" not in json.dumps(listed)
    changed = _run(home, "users", "role", "eve", "admin")
    assert changed.exit_code == 0 and "eve is now admin" in changed.stdout


def test_users_add_refuses_a_common_password_with_one_red_line(tmp_path: Path) -> None:
    result = _run(tmp_path / "h", "users", "add", "eve", "--role", "editor", "--password-stdin",
                  stdin="password1\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: this password is on the list")
    assert "Traceback" not in result.output


def test_a_reviewer_without_credentials_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path / "h", "users", "add", "bo", "--role", "reviewer",
                  "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code == 2 and "credentials" in result.stderr


def test_users_token_prints_a_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _add_reviewer(home)
    first = _run(home, "users", "token", "ana")
    second = _run(home, "users", "token", "ana")
    tokens = [first.stdout.strip(), second.stdout.strip()]
    assert all(t.startswith("mct_") for t in tokens) and tokens[0] != tokens[1]
    assert "shown once" in first.stderr
    with sqlite3.connect(home / "medcite.db") as db:
        stored = " ".join(str(row) for row in db.execute("SELECT * FROM api_tokens"))
    assert tokens[0] not in stored and tokens[1] not in stored
    assert _run(home, "users", "token", "nobody").exit_code == 1


def test_R_AUD_3_audit_verify_passes_then_fails_on_a_tampered_row(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _add_reviewer(home)
    _run(home, "users", "role", "ana", "admin")
    intact = _run(home, "audit", "verify")
    assert intact.exit_code == 0 and "intact: 2 rows" in intact.stdout
    lines = _run(home, "audit", "list").stdout.splitlines()
    assert len(lines) == 2 and "role_change" in lines[1] and "reviewer -> admin" in lines[1]

    with sqlite3.connect(home / "medcite.db") as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET to_state = 'reviewer' WHERE seq = 2")
    broken = _run(home, "audit", "verify")
    assert broken.exit_code == 1
    assert broken.stderr.strip() == (
        "audit trail broken at row 2: row 2 does not match its hash (it was altered)")
    assert json.loads(_run(home, "audit", "verify", "--json").stdout)["first_bad_seq"] == 2
