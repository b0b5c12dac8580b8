"""The interview: which yes/no question best separates the current candidate causes.

For each finding not yet known or asked, the expected information gain is the entropy of the
candidates' probabilities minus its expected entropy after the answer:
``IG(f) = H(p) - [P(yes) H(p | yes) + P(no) H(p | no)]`` with ``P(yes) = sum_c p(c) P(f | c)``.
The finding with the highest gain is asked; ties go to the smaller finding id. A session stops
after ``max_questions`` or when no question gains more than ``MIN_GAIN`` bits.

Usage::

    best = best_question([0.6, 0.4], {"f:fever": [0.1, 0.9]})   # -> ("f:fever", gain)
"""

from __future__ import annotations

import math

from medcite.symptoms.hpo import format_id, load_hpo, parse_id
from medcite.symptoms.knowledge import Knowledge
from medcite.symptoms.ranking import CommonScore, likelihood
from medcite.symptoms.rare import RareScore
from medcite.types import Finding, Question

MIN_GAIN = 0.01  # bits; below this a question is not worth the user's time


def entropy(probabilities: list[float]) -> float:
    """Shannon entropy in bits."""
    return -sum(p * math.log2(p) for p in probabilities if p > 0)


def information_gain(prior: list[float], likelihoods: list[float]) -> float:
    """Expected entropy reduction from asking one yes/no finding.

    Args:
        prior: Probability of each candidate (sums to 1).
        likelihoods: P(finding present | candidate), same order.
    """
    p_yes = sum(p * q for p, q in zip(prior, likelihoods, strict=True))
    p_no = 1.0 - p_yes
    expected = 0.0
    if p_yes > 0:
        expected += p_yes * entropy([p * q / p_yes for p, q in zip(prior, likelihoods,
                                                                    strict=True)])
    if p_no > 0:
        expected += p_no * entropy([p * (1 - q) / p_no for p, q in zip(prior, likelihoods,
                                                                        strict=True)])
    return max(0.0, entropy(prior) - expected)


def best_question(prior: list[float],
                  options: dict[str, list[float]]) -> tuple[str, float] | None:
    """The option with the highest information gain, or None when none is worth asking.

    Args:
        prior: Probability of each candidate.
        options: Finding id -> P(finding | candidate) for each candidate.
    """
    total = sum(prior)
    if total <= 0 or not options:
        return None
    normalised = [p / total for p in prior]
    gains = [(information_gain(normalised, q), finding) for finding, q in options.items()]
    gain, finding = min(gains, key=lambda item: (-round(item[0], 12), item[1]))
    return (finding, gain) if gain > MIN_GAIN else None


CANDIDATES = 8  # causes considered when choosing a question
RARE_PRESENT = 0.5  # P(term | rare disease) when the disease is annotated with it
RARE_ABSENT = 0.03  # P(term | rare disease) otherwise


def next_question(knowledge: Knowledge, common: list[CommonScore], rare: list[RareScore],
                  findings: list[Finding], asked: list[str]) -> Question | None:
    """The most informative yes/no question over the current candidates, or None."""
    known = {f.id for f in findings} | set(asked)
    if common and (not rare or common[0].probability >= rare[0].probability):
        prior, options = _common_options(knowledge, common[:CANDIDATES], known)
    else:
        prior, options = _rare_options(rare[:CANDIDATES], known)
    best = best_question(prior, options)
    if best is None:
        return None
    finding_id, gain = best
    definition = knowledge.findings.get(finding_id)
    if definition is not None:
        label, text = definition.label, definition.question
    else:
        hpo = load_hpo()
        label = hpo.name(parse_id(finding_id) or 0)
        text = f"Do you have this: {label.lower()}?"
    return Question(finding_id=finding_id, label=label, text=text,
                    information_gain=round(gain, 4))


def _common_options(knowledge: Knowledge, top: list[CommonScore],
                    known: set[str]) -> tuple[list[float], dict[str, list[float]]]:
    prior = [s.probability for s in top]
    ids = sorted({f for s in top for f in s.condition.findings} - known)
    return prior, {f: [likelihood(knowledge, s.condition, f) for s in top] for f in ids}


def _rare_options(top: list[RareScore],
                  known: set[str]) -> tuple[list[float], dict[str, list[float]]]:
    hpo = load_hpo()
    closures = [hpo.closure(hpo.diseases[s.index].terms) for s in top]
    terms = sorted({t for s in top for t in hpo.diseases[s.index].terms})
    options = {
        format_id(t): [RARE_PRESENT if t in c else RARE_ABSENT for c in closures]
        for t in terms if format_id(t) not in known
    }
    return [s.probability for s in top], options
