"""The audit trail: record what happened, verify the chain, render rows safely (R-AUD-1..3).

Every workflow transition, edit, refused attempt and account event becomes one row, chained to
the row before by SHA-256 (``medcite.store.audit``). ``verify`` walks the chain and names the
first row that was changed, removed or re-linked. ``audit_line`` renders a row on one line with
every control character escaped, so a username holding ``\\n`` cannot forge a second line.

Example:
    log(store, event(actor, "user_add", to_state="reviewer"))
    result = verify(store)
    print(result.ok, result.first_bad_seq)
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from medcite.errors import ConcurrentUpdateError
from medcite.store import Store
from medcite.store.audit import GENESIS, AuditTx, ChainRow, chain_hash, transaction
from medcite.types import Actor, AuditEvent, AuditRecord, AuditVerification

logger = logging.getLogger("medcite.audit")
T = TypeVar("T")
ATTEMPTS = 5
"""How often a write that lost a race (``ConcurrentUpdateError``) is tried in all."""

_BATCH = 1000


def now_utc() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def event(
    actor: Actor | None,
    action: str,
    *,
    article_id: int | None = None,
    version: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    content_hash: str | None = None,
    comment: str = "",
    actor_name: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEvent:
    """An audit event; ``actor`` None means an anonymous reader (``actor_name``: the name tried)."""
    return AuditEvent(
        at=now or now_utc(),
        actor=actor.id if actor else (actor_name or "anonymous")[:100],
        role=actor.role.value if actor else "reader",
        action=action, article_id=article_id, version=version, from_state=from_state,
        to_state=to_state, content_hash=content_hash, comment=comment,
    )


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` again when it lost a race with another writer, up to ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except ConcurrentUpdateError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def log(store: Store, entry: AuditEvent) -> AuditRecord:
    """Append one event in its own transaction (retried on a race) and emit its log line."""

    def write() -> AuditRecord:
        with transaction(store, AuditTx) as tx:
            return tx.audit(entry)

    record = retrying(write)
    emit(record)
    return record


def emit(record: AuditRecord) -> None:
    """Send a committed record's one-line rendering to the ``medcite.audit`` logger."""
    logger.info("%s", audit_line(record))


def escape(text: str) -> str:
    """``text`` safe for one log line: control, format and line-separator characters escaped.

    Covers ``\\n``, ``\\r``, NEL, U+2028/2029 and bidirectional overrides; backslashes and
    double quotes are escaped too, so the escaping itself cannot be forged.
    """
    out: list[str] = []
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif unicodedata.category(char) in _UNSAFE:
            out.append(_NAMED.get(char) or f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def audit_line(record: AuditRecord) -> str:
    """One line for a record: seq, UTC time, actor (role), action, article, from -> to, note."""
    where = f" article {record.article_id} v{record.version}" if record.article_id else ""
    move = (f" {escape(record.from_state or '-')} -> {escape(record.to_state or '-')}"
            if record.from_state or record.to_state else "")
    note = f' "{escape(record.comment)}"' if record.comment else ""
    return (
        f"#{record.seq} {record.at.strftime('%Y-%m-%dT%H:%M:%SZ')} {escape(record.actor)} "
        f"({escape(record.role)}) {escape(record.action)}{where}{move}{note}"
    )


def records(
    store: Store, *, article_id: int | None = None, after_seq: int = 0, limit: int = 100
) -> list[AuditRecord]:
    """Audit rows in order, optionally for one article (its history)."""
    with transaction(store, AuditTx) as tx:
        return tx.records(article_id=article_id, after_seq=after_seq, limit=limit)


def verify(store: Store) -> AuditVerification:
    """Walk the whole chain in order; report the first row that is missing, re-linked or edited."""
    prev_hash, expected, checked, after = GENESIS, 1, 0, 0
    while True:
        with transaction(store, AuditTx) as tx:
            batch = tx.chain(after_seq=after, limit=_BATCH)
        if not batch:
            return AuditVerification(ok=True, rows=checked, head_hash=prev_hash)
        for row in batch:
            problem = _problem(row, expected, prev_hash)
            if problem:
                return AuditVerification(ok=False, rows=checked, head_hash=prev_hash,
                                         first_bad_seq=row.seq, reason=problem)
            prev_hash, expected, checked = row.row_hash, row.seq + 1, checked + 1
        after = batch[-1].seq


def _problem(row: ChainRow, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return f"rows {expected_seq}..{row.seq - 1} are missing before row {row.seq}"
    if row.prev_hash != prev_hash:
        before = f"row {row.seq - 1}" if row.seq > 1 else "the start of the chain"
        return f"row {row.seq} does not link to {before} (one of them was altered)"
    if chain_hash(row.prev_hash, row.fields) != row.row_hash:
        return f"row {row.seq} does not match its hash (it was altered)"
    return None
