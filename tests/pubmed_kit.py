"""PubMed test files: the small sample, and larger files made by repeating its first record."""

from __future__ import annotations

from pathlib import Path

SMALL = Path(__file__).parent / "data" / "pubmed_small.xml"


def synthetic_pubmed(path: Path, records: int) -> None:
    """Write a PubMed XML file of ``records`` copies of the sample's first citation, with PMIDs
    91000000, 91000001, …"""
    template = SMALL.read_text()
    body = template[template.index("<PubmedArticle>"):template.index("</PubmedArticle>") + 16]
    parts = [body.replace("90000001", str(91000000 + i)) for i in range(records)]
    head = template[:template.index("<PubmedArticle>")]
    path.write_text(head + "\n".join(parts) + "\n</PubmedArticleSet>\n")
