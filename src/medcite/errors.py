"""The medcite error tree: every failure a user can meet, with a status and a hint.

Each error carries a message that is safe to show, an HTTP-like ``status`` and an optional
``hint`` saying what to do next. The web layer renders them as problem+json or an error page,
the CLI as one red line and an exit code; nothing else catches them.

::

    MedciteError
    ├── InputError                      400  bad input from a user
    │   ├── EmptyQuestionError          422
    │   ├── WeakPasswordError           422  too short, too long or a common password (R-SEC-10)
    │   ├── InputTooLargeError          413
    │   ├── UnsupportedFormatError      415
    │   ├── InvalidFeedbackError        422  a vote without its answer, a report without text
│   ├── InvalidEditError            422  an edit that would break the citation invariants
    │   └── UnknownFindingError         422  a symptom-checker finding id that is not known
    ├── MalformedSourceError            422  a source file or record that cannot be read
    ├── NotFoundError                   404
    │   ├── SourceNotFoundError         404
    │   ├── ArticleNotFoundError        404  no article with this id (or not visible to you)
    │   ├── UserNotFoundError           404
    │   ├── ReviewNotFoundError         404  no review record for this article version
    │   ├── TopicNotFoundError          404  no library topic with this slug
    │   └── FeatureDisabledError        404  e.g. the symptom checker switched off by settings
    ├── AuthError                       401  not signed in: bad credentials, session or token
    ├── ForbiddenError                  403
    │   ├── CsrfError                   403  a form post without a valid anti-forgery token
    │   └── SelfApprovalError           403  an author approving their own version (R-WF-3)
    ├── ConflictError                   409  the request conflicts with the current state
    │   ├── TransitionError             409  a review move the workflow does not allow (R-WF-1)
    │   ├── ConcurrentUpdateError       409  changed by someone else meanwhile; try again
│   ├── StaleEditError              409  an edit of content that changed since it was read
    │   └── UserExistsError             409
    ├── RateLimitedError                429  too many costly requests; carries retry_after
    │   └── LoginThrottledError         429  too many failed logins for an account or client
    ├── ConfigurationError              500  invalid settings or a missing optional dependency
    │   ├── DependencyMissingError      500
    │   └── RuleFileError               500  a bundled knowledge/rule file that fails validation
    ├── GeneratorError                  502  the optional answer generator failed
    └── StoreError                      503  the evidence store cannot be used
"""

from __future__ import annotations


class MedciteError(Exception):
    """Base class of every error medcite reports to a user."""

    status: int = 500
    title: str = "medcite error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InputError(MedciteError):
    """The user's input cannot be used as given."""

    status = 400
    title = "Invalid input"


class EmptyQuestionError(InputError):
    """A question or query with no words in it."""

    status = 422
    title = "Empty question"


class InputTooLargeError(InputError):
    """An input larger than the configured limit."""

    status = 413
    title = "Input too large"


class UnsupportedFormatError(InputError):
    """A file whose format medcite cannot ingest."""

    status = 415
    title = "Unsupported format"


class MalformedSourceError(MedciteError):
    """A source file or record that cannot be parsed; names the file and line when known."""

    status = 422
    title = "Malformed source"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.path = path
        self.line = line


class NotFoundError(MedciteError):
    """Something asked for by id does not exist."""

    status = 404
    title = "Not found"


class SourceNotFoundError(NotFoundError):
    """No stored source has this id."""

    title = "Source not found"


class ConfigurationError(MedciteError):
    """Settings that cannot work."""

    status = 500
    title = "Configuration error"


class DependencyMissingError(ConfigurationError):
    """An optional dependency is not installed; the hint gives the install command."""

    title = "Missing dependency"


class StoreError(MedciteError):
    """The evidence store cannot be opened or written."""

    status = 503
    title = "Store unavailable"


class UnknownFindingError(InputError):
    """A finding id (HPO or ours) that the symptom checker does not know."""

    status = 422
    title = "Unknown finding"


class FeatureDisabledError(NotFoundError):
    """A feature switched off by configuration (e.g. ``symptoms.enabled=false``)."""

    title = "Feature disabled"


class RuleFileError(ConfigurationError):
    """A bundled knowledge or rule file (JSON) that fails validation; names the file and entry."""

    title = "Invalid rule file"


class GeneratorError(MedciteError):
    """The optional answer generator (an OpenAI-compatible endpoint) failed or answered badly."""

    status = 502
    title = "Generator unavailable"


class ArticleNotFoundError(NotFoundError):
    """No article has this id, or the reader may not see it (404 either way: R-SEC-11)."""

    title = "Article not found"


class TopicNotFoundError(NotFoundError):
    """No library topic has this slug."""

    title = "Topic not found"


class ForbiddenError(MedciteError):
    """The request is understood but refused."""

    status = 403
    title = "Forbidden"


class CsrfError(ForbiddenError):
    """A state-changing form post without a valid anti-forgery token (R-SEC-9)."""

    title = "Form expired"


class RateLimitedError(MedciteError):
    """Too many costly requests from one client; ``retry_after`` is in whole seconds (R-SEC-6)."""

    status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class WeakPasswordError(InputError):
    """A password that breaks the policy: too short, too long or on the common-password list."""

    status = 422
    title = "Weak password"


class UserNotFoundError(NotFoundError):
    """No account has this username."""

    title = "User not found"


class ReviewNotFoundError(NotFoundError):
    """No review record for this article version (it was never submitted)."""

    title = "Review not found"


class AuthError(MedciteError):
    """Not signed in: wrong username or password, or an unknown, revoked or expired token."""

    status = 401
    title = "Not signed in"


class SelfApprovalError(ForbiddenError):
    """An author (or editor) of a version tried to approve it (R-WF-3)."""

    title = "Self-approval refused"


class ConflictError(MedciteError):
    """The request conflicts with the current state of the thing it acts on."""

    status = 409
    title = "Conflict"


class TransitionError(ConflictError):
    """A review move the workflow does not allow from the current status (R-WF-1)."""

    title = "Transition not allowed"


class ConcurrentUpdateError(ConflictError):
    """Someone else changed the same record first; reload and try again."""

    title = "Changed meanwhile"


class UserExistsError(ConflictError):
    """An account with this username already exists (or the name is reserved)."""

    title = "User exists"


class LoginThrottledError(RateLimitedError):
    """Too many failed logins for this account or from this client; ``retry_after`` seconds."""

    title = "Too many failed logins"


class InvalidFeedbackError(InputError):
    """Page feedback that is incomplete: a vote without yes/no, an error report without text."""

    status = 422
    title = "Incomplete feedback"


class InvalidEditError(InputError):
    """An article edit refused: a statement would lose its stored citation, nothing would be
    left, or the section or statement named does not exist."""

    status = 422
    title = "Edit refused"


class StaleEditError(ConflictError):
    """An edit made on content that someone else changed since it was read; reload first."""

    title = "Changed since you opened it"
