"""Run as a script: approve article 1 v1, but die by SIGKILL just before the audit row is written.

Used by test_concurrency.py (R-WF-2): by then the state row is updated and the approval
inserted in the open transaction; nothing of it may survive the crash.
Usage: python crash_mid_transition.py HOME REVIEWER  (MEDCITE_DATABASE_URL names a PostgreSQL
store)
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from review_kit import fast_review
from sqlalchemy import event

from medcite.review import workflow
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Actor, ReviewStatus, Role


def _die_before_audit(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
        os.kill(os.getpid(), signal.SIGKILL)


def main(home: str, reviewer: str) -> None:
    settings = Settings(home=Path(home), review=fast_review())
    store = Store.open(settings)
    event.listen(store.engine, "before_cursor_execute", _die_before_audit)
    actor = Actor(id=reviewer, role=Role.REVIEWER)
    workflow.transition(store, settings, 1, 1, ReviewStatus.APPROVED, actor)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
