"""Fixtures for accounts, workflow and audit tests: a real store and real (cheap) Argon2id."""

from __future__ import annotations

import pytest
from review_kit import Team, fast_review, make_team

from medcite.settings import Settings
from medcite.store import Store


@pytest.fixture
def review_settings(settings: Settings) -> Settings:
    """The temporary store's settings, with fast password hashing."""
    return settings.model_copy(update={"review": fast_review()})


@pytest.fixture
def team(store: Store) -> Team:
    """An editor (eve), reviewers ana, ben and cai, and an admin (root)."""
    return make_team(store)
