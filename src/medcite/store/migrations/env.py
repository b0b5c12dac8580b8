"""Alembic environment: runs on the connection medcite hands over (see store.schema)."""

from __future__ import annotations

from alembic import context

from medcite.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
