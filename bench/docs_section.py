"""One place that writes a benchmark's section of docs/benchmarks.md (between its markers)."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(name: str, lines: list[str], docs: Path = DOCS) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` with
    ``lines``, keeping the rest of the page; append the section when the page lacks it."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    body = "\n".join([start, *lines, end])
    old = docs.read_text() if docs.exists() else ""
    if start in old and end in old:
        head, rest = old.split(start, 1)
        body = head + body + rest.split(end, 1)[1]
    elif old:
        body = old.rstrip("\n") + "\n\n" + body
    docs.parent.mkdir(exist_ok=True)
    docs.write_text(body.rstrip("\n") + "\n")
