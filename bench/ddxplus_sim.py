"""Common conditions: simulated patients from the DDXPlus condition and evidence definitions.

The public DDXPlus definitions list, per condition, which evidences (questions) apply, but not
their probabilities or values (the dicts are empty; the patients and the generator's knowledge
base are not public). So each simulated patient reports each of the condition's mapped evidences
as present with probability ``P_LISTED`` and as absent otherwise, and every other mapped
evidence as present with probability ``P_OTHER`` (absent otherwise). Pain location (a
multi-choice evidence with no per-condition values) cannot be simulated and is left out.

Reports top-1 / top-3 over the DDXPlus conditions our data covers, and coverage (covered / 49).
Run: ``python bench/ddxplus_sim.py [--patients N]``; writes bench/results/symptoms-ddxplus.json.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from medcite.symptoms.knowledge import load_knowledge
from medcite.symptoms.ranking import rank_common
from medcite.types import Finding

DATA = Path("/work/shared/bench/ddxplus")
OUT = Path(__file__).parent / "results" / "symptoms-ddxplus.json"
P_LISTED, P_OTHER, SEED = 0.6, 0.03, 7
CONDITIONS = {
    "Panic attack": "c:anxiety", "Bronchospasm / acute asthma exacerbation": "c:asthma_attack",
    "Bronchitis": "c:acute_bronchitis", "Pulmonary embolism": "c:pulmonary_embolism",
    "URTI": "c:common_cold", "Influenza": "c:influenza", "Pneumonia": "c:pneumonia",
    "Acute rhinosinusitis": "c:sinusitis", "Possible NSTEMI / STEMI": "c:acs",
    "Unstable angina": "c:acs", "GERD": "c:gerd", "Anaphylaxis": "c:anaphylaxis",
    "Viral pharyngitis": "c:strep_throat",
}
EVIDENCES = {
    "E_91": "f:fever", "E_94": "f:fever", "E_159": "f:fainting", "E_155": "f:palpitations",
    "E_210": "f:blood_stool", "E_140": "f:blood_stool", "E_179": "f:blood_stool",
    "E_51": "f:diarrhea", "E_75": "f:severe_breathless", "E_89": "f:fatigue",
    "E_148": "f:nausea", "E_220": "f:pleuritic_pain", "E_161": "f:anorexia",
    "E_173": "f:heartburn", "E_66": "f:breathless", "E_64": "f:breathless",
    "E_181": "f:runny_nose", "E_156": "f:face_droop", "E_144": "f:myalgia",
    "E_216": "f:movement_pain", "E_201": "f:cough", "E_16": "f:worry", "E_50": "f:sweating",
    "E_97": "f:sore_throat", "E_63": "f:speech_difficulty", "E_39": "f:confusion",
    "E_211": "f:vomiting", "E_112": "f:wheeze", "E_214": "f:wheeze", "E_45": "f:hemoptysis",
    "E_42": "f:allergen_exposure", "E_77": "f:productive_cough", "E_14": "f:chest_pain",
    "E_196": "f:immobility", "E_167": "f:pregnant", "E_129": "f:rash", "E_157": "f:tingling",
    "E_111": "f:worry", "E_182": "f:facial_pain",
}


def simulate(listed: set[str], rng: random.Random) -> list[Finding]:
    """One patient: present/absent answers to every mapped finding."""
    kb = load_knowledge()
    answers: dict[str, bool] = {}
    for evidence, finding in sorted(EVIDENCES.items()):
        p = P_LISTED if evidence in listed else P_OTHER
        answers[finding] = answers.get(finding, False) or rng.random() < p
    return [Finding(id=f, label=kb.findings[f].label, present=v) for f, v in answers.items()]


def main() -> None:
    """Simulate, rank and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200, help="patients per condition")
    args = parser.parse_args()
    conditions = json.loads((DATA / "release_conditions.json").read_text())
    rng = random.Random(SEED)
    hits1 = hits3 = total = 0
    per: dict[str, float] = {}
    for name, target in sorted(CONDITIONS.items()):
        listed = set(conditions[name]["symptoms"]) | set(conditions[name]["antecedents"])
        top1 = 0
        for _ in range(args.patients):
            ranked = [s.condition.id for s in rank_common(load_knowledge(), simulate(listed, rng))]
            top1 += ranked[:1] == [target]
            hits3 += target in ranked[:3]
        hits1 += top1
        total += args.patients
        per[name] = round(top1 / args.patients, 3)
    result = {"conditions_total": len(conditions), "covered": len(CONDITIONS),
              "coverage": round(len(CONDITIONS) / len(conditions), 3),
              "patients": total, "top1": round(hits1 / total, 4), "top3": round(hits3 / total, 4),
              "top1_per_condition": per, "p_listed": P_LISTED, "p_other": P_OTHER}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
