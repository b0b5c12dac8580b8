"""The medcite error tree: every failure a user can meet, with a status and a hint.

Each error carries a message that is safe to show, an HTTP-like ``status`` and an optional
``hint`` saying what to do next. The web layer renders them as problem+json or an error page,
the CLI as one red line and an exit code; nothing else catches them.

::

    MedciteError
    ├── InputError                      400  bad input from a user
    │   ├── EmptyQuestionError          422
    │   ├── InputTooLargeError          413
    │   ├── UnsupportedFormatError      415
    │   └── UnknownFindingError         422  a symptom-checker finding id that is not known
    ├── MalformedSourceError            422  a source file or record that cannot be read
    ├── NotFoundError                   404
    │   ├── SourceNotFoundError         404
    │   └── FeatureDisabledError        404  e.g. the symptom checker switched off by settings
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
