"""Disclaimers: the purpose and limits of an answer, for each audience (FDA CDS criterion 4,
HONcode complementarity, R-CDS-7)."""

from __future__ import annotations

from medcite.types import Audience

_CLINICIAN = (
    "For health professionals. This summary is generated automatically from the cited sources "
    "and has not been reviewed by a clinician. It supports, and does not replace, your own "
    "judgement: check each statement against its source before applying it to a patient."
)
_PATIENT = (
    "This information is generated automatically from the cited sources and has not been reviewed "
    "by a doctor. It is general information, not a diagnosis or a treatment plan, and does not "
    "replace advice from your doctor, nurse or pharmacist. In an emergency, call {emergency}."
)


def disclaimer(audience: Audience, *, emergency_number: str = "911") -> str:
    """The disclaimer shown on every answer for ``audience``."""
    if audience is Audience.CLINICIAN:
        return _CLINICIAN
    return _PATIENT.format(emergency=emergency_number)
