"""Benchmark corpora for ``bench/retrieval.py``, read in place from ``../shared/bench/``.

Nothing here is copied into the repository (several licences forbid redistribution). Each
loader returns a :class:`Dataset`: documents (id, title, text), queries and graded qrels.

Also holds :class:`CachedEmbedder`, which keeps passage vectors of benchmark corpora in
``bench/.cache/`` (git-ignored) so reruns do not re-embed thousands of documents.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lxml import etree

from medcite.index.embedder import Embedder, Matrix

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench"
CACHE = ROOT / "bench" / ".cache"
MEDQUAD_QUERIES = 2000  # as in ../shared/bench/BASELINES.md: 2,000 questions, random seed 0
MEDQUAD_SEED = 0


@dataclass(frozen=True)
class BenchDoc:
    """One corpus document as every system in the run sees it."""

    id: str
    title: str
    text: str

    @property
    def full_text(self) -> str:
        """Title and text as one string (the title is skipped when the text begins with it)."""
        if not self.title or self.text.startswith(self.title):
            return self.text
        return f"{self.title} {self.text}"


@dataclass
class Dataset:
    """A corpus, its queries and graded relevance judgements (qrels)."""

    name: str
    docs: list[BenchDoc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)

    def limited(self, limit: int | None) -> Dataset:
        """The same corpus with only the first ``limit`` judged queries."""
        ids = [q for q in self.queries if self.qrels.get(q)]
        if limit is not None:
            ids = ids[:limit]
        return Dataset(self.name, self.docs, {q: self.queries[q] for q in ids},
                       {q: self.qrels[q] for q in ids})


def _lead(text: str, words: int = 8) -> str:
    """A stand-in title for corpora without titles: the text's first words."""
    return " ".join(text.split()[:words])


def load_scifact() -> Dataset:
    """SciFact dev claims (BEIR "test" qrels) over the 5,183-abstract corpus."""
    root = DATA / "scifact"
    docs = []
    for line in (root / "corpus.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        text = " ".join(" ".join(row["abstract"]).split())
        docs.append(BenchDoc(str(row["doc_id"]), " ".join(row["title"].split()), text))
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "beir_style" / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(score)
    queries = {}
    for line in (root / "beir_style" / "queries.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        if row["_id"] in qrels:
            queries[row["_id"]] = row["text"]
    return Dataset("scifact", docs, queries, qrels)


def load_nfcorpus() -> Dataset:
    """NFCorpus test split: title queries, 3-2-1 graded qrels, pre-processed text."""
    root = DATA / "nfcorpus"
    docs = []
    for line in (root / "test.docs").read_text(encoding="utf-8").splitlines():
        did, text = line.split("\t", 1)
        text = " ".join(text.split())
        docs.append(BenchDoc(did, _lead(text), text))
    queries = dict(
        line.split("\t", 1)
        for line in (root / "test.titles.queries").read_text(encoding="utf-8").splitlines()
    )
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "test.3-2-1.qrel").read_text().splitlines():
        qid, _, did, level = line.split()
        if qid in queries:
            qrels.setdefault(qid, {})[did] = int(level)
    return Dataset("nfcorpus", docs, queries, qrels)


def load_medquad() -> Dataset:
    """MedQuAD: each sampled question must find its own answer among all 16,407 answers."""
    docs, questions = [], {}
    for path in sorted((DATA / "medquad").glob("*/*.xml")):
        root = etree.parse(str(path)).getroot()
        focus = (root.findtext("Focus") or "").strip()
        for pair in root.iter("QAPair"):
            answer = " ".join((pair.findtext("Answer") or "").split())
            question = pair.find("Question")
            if not answer or question is None:
                continue
            did = f"{path.parent.name[:2].rstrip('_')}/{question.get('qid')}"
            docs.append(BenchDoc(did, focus or _lead(answer), answer))
            questions[did] = " ".join((question.text or "").split())
    sample = random.Random(MEDQUAD_SEED).sample(sorted(questions), MEDQUAD_QUERIES)
    return Dataset("medquad", docs, {d: questions[d] for d in sample}, {d: {d: 1} for d in sample})


def load_bioasq() -> Dataset:
    """BioASQ 7B-11B: questions -> their gold snippets; the corpus is every distinct snippet."""
    ids: dict[str, str] = {}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for path in sorted((DATA / "bioasq").glob("*/*.json")):
        for question in json.loads(path.read_text(encoding="utf-8"))["questions"]:
            gold = {}
            for snippet in question.get("snippets", []):
                text = " ".join(snippet["text"].split())
                if text:
                    sid = ids.setdefault(text, "s" + hashlib.sha1(text.encode()).hexdigest()[:12])
                    gold[sid] = 1
            if gold:
                queries[question["id"]] = question["body"]
                qrels[question["id"]] = gold
    by_id = sorted(ids.items(), key=lambda item: item[1])
    docs = [BenchDoc(sid, _lead(text), text) for text, sid in by_id]
    return Dataset("bioasq", docs, queries, qrels)


LOADERS = {
    "scifact": load_scifact,
    "nfcorpus": load_nfcorpus,
    "medquad": load_medquad,
    "bioasq": load_bioasq,
}


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class CachedEmbedder:
    """An :class:`Embedder` that remembers vectors by text in ``bench/.cache/`` (bench only).

    Vectors are looked up by a hash of the exact text, so a changed passage is embedded again.
    Only corpus passages should go through it; query latency must be measured uncached.
    """

    def __init__(self, inner: Embedder, folder: Path = CACHE) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self.folder = folder / hashlib.sha1(inner.name.encode()).hexdigest()[:8]
        self.folder.mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, np.ndarray] = {}
        for path in sorted(self.folder.glob("*.npz")):
            with np.load(path) as data:
                self._rows.update(zip(data["keys"].tolist(), data["vecs"], strict=True))
        self.misses = 0

    def embed(self, texts: Sequence[str]) -> Matrix:
        """Vectors of ``texts``: cached ones looked up, the others embedded and saved."""
        keys = [_key(t) for t in texts]
        new = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._rows}
        todo = sorted(new.items())
        if todo:
            vecs = self.inner.embed([t for _, t in todo])
            self.misses += len(todo)
            np.savez(self.folder / f"{_key(''.join(k for k, _ in todo))}.npz",
                     keys=np.array([k for k, _ in todo]), vecs=vecs)
            self._rows.update(zip((k for k, _ in todo), vecs, strict=True))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = self._rows[key]
        return out
