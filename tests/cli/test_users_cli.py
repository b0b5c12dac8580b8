"""`medcite users add|list|role|token` and `medcite audit verify|list` against a real store."""

from __future__ import annotations

import json

from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from medcite.cli import app
from medcite.settings import Settings
from medcite.store import Store

runner = CliRunner()
FAST = {"MEDCITE_REVIEW__PASSWORD_TIME_COST": "2", "MEDCITE_REVIEW__PASSWORD_MEMORY_KIB": "19456"}
PASSWORD = "plum orchard at dusk"


def _run(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    env = {**FAST, "MEDCITE_DATABASE_URL": settings.database_url}
    return runner.invoke(app, [*args, "--home", str(settings.home)], input=stdin, env=env)


def _sql(settings: Settings, *statements: str) -> list[str]:
    """Run statements on the store's database directly; the rows of the last, as text."""
    store = Store.open(settings)
    try:
        with store.engine.begin() as db:
            for statement in statements:
                found = db.execute(text(statement))
            return [str(tuple(row)) for row in found] if found.returns_rows else []
    finally:
        store.close()


def _add_reviewer(settings: Settings) -> None:
    result = _run(settings, "users", "add", "ana", "--role", "reviewer", "--name", "Ana Silva",
                  "--credentials", "MD", "--specialty", "Neurology", "--password-stdin",
                  stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def test_users_add_list_and_role(settings: Settings) -> None:
    _add_reviewer(settings)
    prompted = _run(settings, "users", "add", "eve", "--role", "editor",
                    stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and "added eve (editor)" in prompted.stdout
    listed = json.loads(_run(settings, "users", "list", "--json").stdout)
    assert [(u["username"], u["role"]) for u in listed] == [("ana", "reviewer"), ("eve", "editor")]
    assert listed[0]["name"] == "Ana Silva" and listed[0]["specialty"] == "Neurology"
    assert "password" not in json.dumps(listed)
    changed = _run(settings, "users", "role", "eve", "admin")
    assert changed.exit_code == 0 and "eve is now admin" in changed.stdout


def test_users_add_refuses_a_common_password_with_one_red_line(settings: Settings) -> None:
    result = _run(settings, "users", "add", "eve", "--role", "editor", "--password-stdin",
                  stdin="password1\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: this password is on the list")
    assert "Traceback" not in result.output


def test_a_reviewer_without_credentials_is_refused(settings: Settings) -> None:
    result = _run(settings, "users", "add", "bo", "--role", "reviewer",
                  "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code == 2 and "credentials" in result.stderr


def test_users_token_prints_a_token_once_and_stores_only_its_hash(settings: Settings) -> None:
    _add_reviewer(settings)
    first = _run(settings, "users", "token", "ana")
    second = _run(settings, "users", "token", "ana")
    tokens = [first.stdout.strip(), second.stdout.strip()]
    assert all(t.startswith("mct_") for t in tokens) and tokens[0] != tokens[1]
    assert "shown once" in first.stderr
    stored = " ".join(_sql(settings, "SELECT * FROM api_tokens"))
    assert tokens[0] not in stored and tokens[1] not in stored
    assert _run(settings, "users", "token", "nobody").exit_code == 1


def test_R_AUD_3_audit_verify_passes_then_fails_on_a_tampered_row(settings: Settings) -> None:
    _add_reviewer(settings)
    _run(settings, "users", "role", "ana", "admin")
    intact = _run(settings, "audit", "verify")
    assert intact.exit_code == 0 and "intact: 2 rows" in intact.stdout
    lines = _run(settings, "audit", "list").stdout.splitlines()
    assert len(lines) == 2 and "role_change" in lines[1] and "reviewer -> admin" in lines[1]

    unguard = {"sqlite": "DROP TRIGGER audit_log_no_update",  # migration 0005's guard
               "postgresql": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"}
    backend = "postgresql" if settings.database_url else "sqlite"
    _sql(settings, unguard[backend], "UPDATE audit_log SET to_state = 'reviewer' WHERE seq = 2")
    broken = _run(settings, "audit", "verify")
    assert broken.exit_code == 1
    assert broken.stderr.strip() == (
        "audit trail broken at row 2: row 2 does not match its hash (it was altered)")
    assert json.loads(_run(settings, "audit", "verify", "--json").stdout)["first_bad_seq"] == 2
