"""``python -m medcite`` runs the CLI."""

from medcite.cli import app

app()
