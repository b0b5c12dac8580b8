"""Settings come from MEDCITE_* environment variables, every group nested with ``__``."""

from __future__ import annotations

import pytest

from medcite.settings import Settings


@pytest.mark.parametrize(("variable", "value", "read"), [
    ("MEDCITE_INDEX__FUSION", "rrf", lambda s: s.index.fusion),
    ("MEDCITE_INDEX__EMBED_THREADS", "1", lambda s: s.index.embed_threads),
    ("MEDCITE_INGEST__BATCH_SIZE", "7", lambda s: s.ingest.batch_size),
    ("MEDCITE_ANSWER__EMERGENCY_NUMBER", "999", lambda s: s.answer.emergency_number),
    ("MEDCITE_WEB__ASK_BURST", "7", lambda s: s.web.ask_burst),
])
def test_every_settings_group_reads_its_environment_variables(
    variable: str, value: str, read: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    assert str(read(Settings())) == value  # type: ignore[operator]
