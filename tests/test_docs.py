"""Every setting and every CLI command is documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from typer.main import get_command

from medcite.cli import app

ROOT = Path(__file__).parent.parent


def test_the_settings_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "settings_doc", ROOT / "scripts" / "settings_doc.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "settings.md").read_text() == module.render(), (
        "run: .venv/bin/python scripts/settings_doc.py"
    )


def test_every_cli_command_appears_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = get_command(app).commands  # type: ignore[attr-defined]
    missing = [name for name in commands if f"medcite {name}" not in readme]
    assert missing == []
