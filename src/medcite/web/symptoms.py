"""The symptom checker on the web: ``POST /api/v1/symptoms`` and the ``/symptoms`` pages.

Both faces call the one use case, ``medcite.symptoms.checker.check``; the API speaks the
``medcite symptoms --json`` shape plus the urgent notice and links to related library pages.

The pages ask ONE question per step (the interview's ``next_question``) and keep the session
in the page only, as a signed, short-lived token (``medcite.web.symptom_session``): nothing is
stored on the server and nothing the user types is logged (R-SC-7, R-AUD-2). The free text is
read once, on the first step, into findings; later steps carry only finding ids, so the words
never travel again. Every step is a POST with the site's CSRF token that renders its page
directly (no redirect carrying state in a URL, where access logs would keep it).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from medcite.errors import FeatureDisabledError, InputError, InputTooLargeError
from medcite.review.publish import Library
from medcite.review.topics import topic_slug
from medcite.settings import AnswerSettings, Settings
from medcite.symptoms.checker import check
from medcite.symptoms.findings import read_context
from medcite.types import (
    Assessment,
    Audience,
    Finding,
    PossibleCause,
    Question,
    RedFlag,
    Sex,
    SymptomQuery,
    TriageLevel,
)
from medcite.web.api import PREFIX, _problems
from medcite.web.auth import current_user
from medcite.web.deps import CsrfChecked, LibraryDep, SettingsDep, rate_limited
from medcite.web.pages import page
from medcite.web.symptom_session import SessionTokens, SymptomSession
from medcite.web.views import Link, source_url, topic_url

CAUSES_SHOWN = 5  # on the result page; the API returns every listed cause
TRIAGE_LABELS = {
    TriageLevel.EMERGENCY: "Emergency: get help now",
    TriageLevel.URGENT: "Urgent: get medical advice today",
    TriageLevel.ROUTINE: "See a doctor: book an appointment",
    TriageLevel.SELF_CARE: "Self-care: this can usually be looked after at home",
}
CAUSE_TRIAGE = {
    TriageLevel.EMERGENCY: "can be an emergency",
    TriageLevel.URGENT: "usually needs care the same day",
    TriageLevel.ROUTINE: "usually needs a doctor's appointment",
    TriageLevel.SELF_CARE: "can usually be looked after at home",
}
SEX_CHOICES = ((Sex.FEMALE, "Female"), (Sex.MALE, "Male"), (Sex.UNKNOWN, "Prefer not to say"))
DURATIONS = (  # (form value, days, label): the start page's "how long" choices
    ("", None, "Not sure"),
    ("0.5", 0.5, "Less than a day"),
    ("2", 2.0, "1 to 3 days"),
    ("5", 5.0, "4 to 7 days"),
    ("14", 14.0, "1 to 4 weeks"),
    ("60", 60.0, "More than 4 weeks"),
)


class Reply(StrEnum):
    """An answer to one interview question."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


# --- API bodies ---------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class FindingIn(BaseModel):
    """A finding already known: one of ours ("f:fever") or an HPO term ("HP:0001945")."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, description='Finding id, e.g. "f:fever".')
    present: bool = Field(default=True, description="False when the finding is absent.")


class SymptomsIn(BaseModel):
    """What the user reports; send it again with ``answers`` to continue the interview."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", description='Symptoms in plain words, e.g. "fever, no rash".')
    findings: list[FindingIn] = Field(
        default_factory=list, description="Findings by id (100 at most by default)."
    )
    age: float | None = Field(default=None, ge=0, le=130, description="Age in years.")
    sex: Sex = Field(default=Sex.UNKNOWN, description="Sex, for sex-specific conditions.")
    duration_days: float | None = Field(
        default=None, ge=0, le=36_500, description="How long the symptoms have lasted, in days."
    )
    answers: dict[str, Reply] = Field(
        default_factory=dict,
        description="Answers to earlier next_question's, by finding_id: yes, no or unsure. "
        "An answered finding is never asked again.",
    )


class FindingOut(_Out):
    """A finding as understood."""

    id: str = Field(description="Finding id.")
    label: str = Field(description="Readable name.")
    hpo_id: str | None = Field(description="Matching HPO term, when there is one.")
    present: bool = Field(description="False when absent.")


class RelatedLink(_Out):
    """A page of this site about a condition."""

    kind: str = Field(description='"topic" (the library topic) or "patient_info" (a leaflet).')
    title: str = Field(description="Link text.")
    url: str = Field(description="Address on this site.")


class CauseOut(_Out):
    """A condition that can cause the findings (a possibility, not a diagnosis)."""

    name: str = Field(description="Condition name.")
    id: str = Field(description='Condition id ("c:migraine", "OMIM:…").')
    score: float = Field(description="Relative probability among the listed causes.")
    supporting: list[str] = Field(alias="for", description="Findings that argue for it.")
    opposing: list[str] = Field(alias="against", description="Findings that argue against it.")
    triage: TriageLevel = Field(description="Triage level this condition calls for.")
    source: str = Field(description="Reference behind the condition's knowledge.")
    articles: list[str] = Field(description="Slugs of related explainer documents.")
    reports: list[str] = Field(description='Publications ("PMID:…") of a reported patient like '
                               "this one, from the site's case library.")
    related: list[RelatedLink] = Field(description="Related pages stored on this site.")


class SymptomsOut(_Out):
    """The assessment: the ``medcite symptoms --json`` shape plus the urgent notice and links."""

    triage: TriageLevel = Field(description="Most urgent of red flags and causes.")
    advice: str = Field(description="What to do now, in plain words.")
    urgent_notice: str | None = Field(
        description="Show first, above everything, when not null (with the emergency number)."
    )
    red_flags: list[RedFlag] = Field(description="Red-flag rules that fired.")
    crisis: bool = Field(description="A self-harm or suicide sign: show the crisis line.")
    findings: list[FindingOut] = Field(description="Findings as understood.")
    causes: list[CauseOut] = Field(description="Conditions that can cause them, likeliest first.")
    next_question: Question | None = Field(
        description="Ask this next (send the reply in 'answers'); null when done."
    )
    questions_left: int = Field(description="Questions the session may still ask.")
    unknown_terms: list[str] = Field(description="Words that matched no finding.")
    disclaimer: str = Field(description="Not a diagnosis; not a substitute for care.")


# --- shared by the API and the pages ------------------------------------------------------------


def urgent_notice(flags: list[RedFlag], answer: AnswerSettings) -> str | None:
    """The notice shown before anything else when a red flag fired, with the site's numbers."""
    if not flags:
        return None
    level = TriageLevel.most_urgent([flag.level for flag in flags])
    if level is TriageLevel.EMERGENCY:
        head = f"Seek emergency care now: call {answer.emergency_number}."
    elif level is TriageLevel.URGENT:
        head = "Get medical advice today: contact a doctor or an urgent care service."
    else:
        head = "See a doctor soon about this warning sign."
    labels = "; ".join(flag.label for flag in flags)
    notice = f"{head} Warning signs: {labels}."
    if any(flag.crisis for flag in flags):
        notice += f" Crisis line: call or text {answer.crisis_line}."
    return notice


def related_links(library: Library, cause: PossibleCause) -> list[RelatedLink]:
    """The library topic and patient leaflet of each explainer the condition names, if stored."""
    ids = [f"doc:{slug}" for slug in cause.articles]
    topics = library.topics.names(dict.fromkeys(s for s in map(topic_slug, ids) if s))
    leaflets = library.store.sources([i for i in ids if i.endswith(f"-{Audience.PATIENT}")])
    return [
        *(RelatedLink(kind="topic", title=t.name, url=topic_url(t.slug)) for t in topics),
        *(RelatedLink(kind="patient_info", title=s.title, url=source_url(s.id))
          for s in leaflets.values()),
    ]


def symptoms_out(assessment: Assessment, library: Library, settings: Settings,
                 asked: int) -> SymptomsOut:
    """The API's (and CLI's) JSON shape of an assessment."""
    return SymptomsOut(
        triage=assessment.triage,
        advice=assessment.advice,
        urgent_notice=urgent_notice(assessment.red_flags, settings.answer),
        red_flags=assessment.red_flags,
        crisis=assessment.crisis,
        findings=[FindingOut(id=f.id, label=f.label, hpo_id=f.hpo_id, present=f.present)
                  for f in assessment.findings],
        causes=[CauseOut(name=c.name, id=c.id, score=c.score, supporting=c.supporting,
                         opposing=c.opposing, triage=c.triage, source=c.source,
                         articles=c.articles, reports=c.reports,
                         related=related_links(library, c))
                for c in assessment.causes],
        next_question=assessment.next_question,
        questions_left=max(0, settings.symptoms.max_questions - asked),
        unknown_terms=assessment.unknown_terms,
        disclaimer=assessment.disclaimer,
    )


def api_query(body: SymptomsIn, settings: Settings) -> SymptomQuery:
    """The use case's query for an API body (answers become findings and asked ids)."""
    if len(body.answers) > settings.symptoms.max_findings:
        raise InputTooLargeError(
            f"{len(body.answers):,} answers given; the limit is "
            f"{settings.symptoms.max_findings:,}", hint="send the answers of one session only")
    given = [Finding(id=f.id, label=f.id, present=f.present) for f in body.findings]
    answered = [Finding(id=key, label=key, present=reply is Reply.YES)
                for key, reply in body.answers.items() if reply is not Reply.UNSURE]
    return SymptomQuery(text=body.text, findings=[*given, *answered], age=body.age,
                        sex=body.sex, duration_days=body.duration_days,
                        asked=list(body.answers))


async def symptoms_enabled(request: Request) -> None:
    """404 for every symptom-checker route when ``symptoms.enabled`` is false."""
    settings: Settings = request.app.state.settings
    if not settings.symptoms.enabled:
        raise FeatureDisabledError("the symptom checker is switched off on this site",
                                   hint="set MEDCITE_SYMPTOMS__ENABLED=true to enable it")


Enabled = Depends(symptoms_enabled)
SignedIn = Depends(current_user)  # pages show who is signed in, as every page does
SymptomsLimit = Depends(rate_limited("symptoms"))


def symptoms_router(settings: Settings) -> APIRouter:
    """The symptom checker's API route and pages."""
    router = APIRouter()
    key = settings.web.secret_key
    tokens = SessionTokens.for_key(key.get_secret_value().encode() if key else None)
    _api_routes(router)
    _page_routes(router, tokens)
    return router


def _api_routes(router: APIRouter) -> None:
    @router.post(f"{PREFIX}/symptoms", tags=["medcite"], dependencies=[Enabled, SymptomsLimit],
                 responses=_problems(404, 413, 415, 422, 429), response_model_by_alias=True)
    def symptoms(body: SymptomsIn, library: LibraryDep, settings: SettingsDep) -> SymptomsOut:
        """Triage level, red flags, possible causes and the next question for symptoms.

        Give ``text`` and/or ``findings`` (plus age, sex, duration when known). To continue
        the interview, send the same body again with the reply to ``next_question`` added to
        ``answers`` (``{"f:fever": "no"}``); the session ends when ``next_question`` is null
        (an emergency, no useful question left, or ``symptoms.max_questions`` reached).
        Nothing sent is stored or logged.
        """
        assessment = check(api_query(body, settings), settings)
        return symptoms_out(assessment, library, settings, asked=len(body.answers))


# --- pages --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormProblem:
    """An input problem shown next to the field it concerns (WCAG 3.3.1)."""

    field: str
    title: str
    message: str
    hint: str | None = None

    @classmethod
    def of(cls, field: str, error: InputError) -> "FormProblem":
        """The problem for a medcite input error."""
        return cls(field, error.title, error.message, error.hint)


@dataclass(frozen=True, slots=True)
class StartForm:
    """The start page's fields as typed (shown again with an error)."""

    text: str = ""
    age: str = ""
    sex: str = Sex.UNKNOWN.value
    duration: str = ""


@dataclass(frozen=True, slots=True)
class ShownCause:
    """A possible cause on the result page."""

    cause: PossibleCause
    needs: str
    links: list[Link]


def _number(value: str, field: str, limit: float) -> float | None:
    """A number typed in a field, or None when left empty."""
    if not value.strip():
        return None
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        number = -1.0
    if not 0 <= number <= limit:
        raise InputError(f"the {field} must be a number from 0 to {limit:g}",
                         hint=f"leave the {field} empty if you prefer not to say")
    return number


def _start_session(form: StartForm) -> SymptomSession:
    """The session's facts from the start form; the free text may say age, sex or duration."""
    age = _number(form.age, "age", 130)
    sex = Sex(form.sex) if form.sex in set(Sex) else Sex.UNKNOWN
    days = next((d for value, d, _ in DURATIONS if value == form.duration), None)
    said = read_context(form.text)
    return SymptomSession(age=age if age is not None else said.age,
                          sex=sex if sex is not Sex.UNKNOWN else said.sex,
                          duration_days=days if days is not None else said.duration_days)


def _start_page(request: Request, form: StartForm | None = None,
                problem: FormProblem | None = None, status: int = 200) -> HTMLResponse:
    return page(request, "symptoms.html", {
        "form": form or StartForm(), "problem": problem, "sex_choices": SEX_CHOICES,
        "durations": DURATIONS,
    }, status=status)


def _facts(session: SymptomSession) -> list[tuple[str, str]]:
    """Age, sex and duration as told, for the "what you told us" list."""
    facts = []
    if session.age is not None:
        facts.append(("Age", f"{session.age:g} years"))
    if session.sex is not Sex.UNKNOWN:
        facts.append(("Sex", session.sex.value))
    label = next((lab for _, d, lab in DURATIONS if d == session.duration_days and d), None)
    if label or session.duration_days is not None:
        facts.append(("How long", label or f"{session.duration_days:g} days"))
    return facts


def _step(request: Request, library: Library, tokens: SessionTokens, session: SymptomSession,
          assessment: Assessment, *, finish: bool = False,
          problem: FormProblem | None = None) -> HTMLResponse:
    """The next question, or the result when the interview is over (or the user asked for it)."""
    settings: Settings = request.app.state.settings
    common = {"assessment": assessment, "facts": _facts(session),
              "notice": urgent_notice(assessment.red_flags, settings.answer)}
    question = assessment.next_question
    if question is None or finish:
        return page(request, "symptoms-result.html", {
            **common, "triage_label": TRIAGE_LABELS[assessment.triage],
            "causes": [_shown(library, c) for c in assessment.causes[:CAUSES_SHOWN]],
        })
    pending = session.model_copy(update={"pending": question.finding_id})
    return page(request, "symptoms-question.html", {
        **common, "question": question, "token": tokens.issue(pending),
        "number": len(session.asked) + 1, "max_questions": settings.symptoms.max_questions,
        "problem": problem,
    }, status=400 if problem else 200)


def _shown(library: Library, cause: PossibleCause) -> ShownCause:
    links = [Link(link.title, link.url) for link in related_links(library, cause)]
    links += [Link(f"A reported patient like you ({pmid.replace(':', ' ')})",
                   f"https://pubmed.ncbi.nlm.nih.gov/{pmid.removeprefix('PMID:')}/")
              for pmid in cause.reports]
    return ShownCause(cause=cause, needs=CAUSE_TRIAGE[cause.triage], links=links)


def _page_routes(router: APIRouter, tokens: SessionTokens) -> None:
    Text = Annotated[str, Form()]

    @router.get("/symptoms", response_class=HTMLResponse, include_in_schema=False,
                dependencies=[Enabled, SignedIn])
    def start(request: Request) -> HTMLResponse:
        """The start page: symptoms in words, age, sex and duration."""
        return _start_page(request)

    @router.post("/symptoms", include_in_schema=False,
                 dependencies=[Enabled, SignedIn, CsrfChecked, SymptomsLimit])
    def begin(request: Request, library: LibraryDep, settings: SettingsDep, text: Text = "",
              age: Text = "", sex: Text = Sex.UNKNOWN.value, duration: Text = "") -> HTMLResponse:
        """Read the description, then ask the first question (or show the result)."""
        form = StartForm(text=text, age=age, sex=sex, duration=duration)
        try:
            session = _start_session(form)
        except InputError as exc:
            return _start_page(request, form, FormProblem.of("age", exc), exc.status)
        try:
            assessment = check(session.query(text=text), settings)
        except InputError as exc:
            return _start_page(request, form, FormProblem.of("text", exc), exc.status)
        session = session.model_copy(update={
            "findings": [(f.id, f.present) for f in assessment.findings]})
        return _step(request, library, tokens, session, assessment)

    @router.post("/symptoms/answer", include_in_schema=False,
                 dependencies=[Enabled, SignedIn, CsrfChecked, SymptomsLimit])
    def answer(request: Request, library: LibraryDep, settings: SettingsDep, state: Text = "",
               reply: Annotated[Reply | None, Form(alias="answer")] = None,
               finish: Text = "") -> HTMLResponse:
        """Record the reply to the question shown, then ask the next one or show the result."""
        try:
            session = tokens.read(state)
        except InputError as exc:
            return _start_page(request, problem=FormProblem.of("form", exc), status=exc.status)
        if reply is None and not finish:
            missing = FormProblem("answer", "No answer chosen", "choose Yes, No or Not sure",
                                  "then press Continue")
            return _step(request, library, tokens, session, check(session.query(), settings),
                         problem=missing)
        session = session.answered(None if reply in (None, Reply.UNSURE) else reply is Reply.YES)
        return _step(request, library, tokens, session, check(session.query(), settings),
                     finish=bool(finish))

