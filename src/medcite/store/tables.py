"""ORM rows of the evidence store. Only ``medcite.store`` imports this module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base shared by every table."""


class SourceRow(Base):
    """One citable source."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    study_type: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    journal: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    published: Mapped[dt.date | None] = mapped_column(Date)
    pmid: Mapped[str | None] = mapped_column(String(20), index=True)
    doi: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    publication_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    mesh_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    concern: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str | None] = mapped_column(String(20))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    starter: Mapped[bool] = mapped_column(Boolean, default=False)
    based_on: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(Text, default="")
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PassageRow(Base):
    """A citable window of a source's text."""

    __tablename__ = "passages"

    id: Mapped[str] = mapped_column(String(220), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(32))


class IngestCheckpointRow(Base):
    """How far the ingest of one file got; lets an interrupted ingest resume."""

    __tablename__ = "ingest_checkpoints"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class IngestRunRow(Base):
    """One `medcite ingest` run and its report."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paths: Mapped[list[str]] = mapped_column(JSON, default=list)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


Index("ix_passages_source_ordinal", PassageRow.source_id, PassageRow.ordinal)


class PassageVectorRow(Base):
    """A passage's embedding under one model: float32 little-endian bytes, unit length."""

    __tablename__ = "passage_vectors"

    passage_id: Mapped[str] = mapped_column(
        ForeignKey("passages.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
