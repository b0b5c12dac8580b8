"""merge the branches; draft keys, content revisions, and review states for every version

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-25 09:00:00

Joins the articles (0004), accounts/review/audit (0005) and PostgreSQL search (0006) branches.

- ``articles.preview_key``: a random key per article; the unlisted address of a draft
  (``/drafts/<key>/<slug>``) lets whoever asked the question read it before it is approved,
  while guessing ids finds nothing (R-SEC-11). Existing articles get a key here.
- ``article_revisions``: the content of a version as it stood before each edit, so the history
  page can show who changed what (a readable diff).
- Every stored article version gets a review state if it has none (articles drafted before the
  review workflow existed): the review workflow is the one authority on a version's status,
  and the article rows only mirror it. These backfilled states are not in the audit trail,
  which starts with the workflow.
"""

import datetime as dt
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _preview_keys() -> None:
    op.add_column("articles", sa.Column("preview_key", sa.String(length=64), nullable=True))
    op.create_index("ix_articles_preview_key", "articles", ["preview_key"], unique=True)
    bind = op.get_bind()
    ids = bind.execute(sa.text("SELECT id FROM articles WHERE preview_key IS NULL")).scalars()
    for article_id in list(ids):
        bind.execute(sa.text("UPDATE articles SET preview_key = :key WHERE id = :id"),
                     {"key": secrets.token_urlsafe(24), "id": article_id})


def _revisions() -> None:
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("clinician", sa.JSON(), nullable=False),
        sa.Column("patient", sa.JSON(), nullable=False),
        sa.Column("evidence_ids", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("made_at", _TS, nullable=False),
        sa.Column("made_by", sa.String(length=200), nullable=True),
        sa.Column("replaced_at", _TS, nullable=False),
        sa.Column("replaced_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_article_revisions_article_id", "article_revisions", ["article_id"])
    op.create_index("ux_article_revisions_revision", "article_revisions",
                    ["article_id", "version", "revision"], unique=True)


def _utc(value: object) -> dt.datetime:
    """A stored time (SQLite hands back text through a raw query) as aware UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return dt.datetime.now(dt.UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _review_states() -> None:
    bind = op.get_bind()
    missing = bind.execute(sa.text(
        "SELECT v.article_id, v.version, v.status, v.content_hash, v.created_at, v.created_by "
        "FROM article_versions v LEFT JOIN review_states s "
        "ON s.article_id = v.article_id AND s.version = v.version WHERE s.id IS NULL"
    )).all()
    states = sa.table(
        "review_states",
        sa.column("article_id", sa.Integer()), sa.column("version", sa.Integer()),
        sa.column("status", sa.String()), sa.column("authors", sa.JSON()),
        sa.column("content_hash", sa.String()), sa.column("revision", sa.Integer()),
        sa.column("submitted_at", _TS), sa.column("updated_at", _TS),
        sa.column("approved_at", _TS),
    )
    rows = []
    for article_id, version, status, content_hash, created_at, created_by in missing:
        when = _utc(created_at)
        rows.append({
            "article_id": article_id, "version": version, "status": status,
            "authors": [created_by or "medcite"], "content_hash": content_hash, "revision": 1,
            "submitted_at": when, "updated_at": when,
            "approved_at": when if status == "approved" else None,
        })
    if rows:
        op.bulk_insert(states, rows)


def upgrade() -> None:
    _preview_keys()
    _revisions()
    _review_states()


def downgrade() -> None:
    op.drop_index("ux_article_revisions_revision", table_name="article_revisions")
    op.drop_index("ix_article_revisions_article_id", table_name="article_revisions")
    op.drop_table("article_revisions")
    op.drop_index("ix_articles_preview_key", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("preview_key")
