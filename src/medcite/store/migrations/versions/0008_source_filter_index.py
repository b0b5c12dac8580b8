"""a covering index for the source filter every search runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:00:00

Each search asks which of a few hundred candidate sources may be returned (not retracted,
passing the filters). Source rows are wide (authors, MeSH terms, JSON lists), so those lookups
read hundreds of scattered table pages; this index holds every column the filter reads, so
the lookups stay inside a small index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "retracted", "kind", "study_type", "year", "audience"]


def upgrade() -> None:
    op.create_index("ix_sources_search_filter", "sources", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_sources_search_filter", table_name="sources")
