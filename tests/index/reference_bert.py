"""A plain numpy BERT forward pass: the independent reference for the ONNX embedder.

Deliberately naive and shares no code with ``medcite.index``: one sentence at a time (so no
padding and no attention mask), float64 throughout, exact erf GELU via ``math.erf``. It follows
Hugging Face ``BertModel`` and sentence-transformers' mean pooling + Normalize.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

Array = npt.NDArray[np.float64]

_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; math.erf is exact to double precision


def _gelu(h: Array) -> Array:
    """BERT's exact GELU, 0.5 * h * (1 + erf(h / sqrt 2))."""
    erf: Array = np.asarray(_erf(h / math.sqrt(2.0)), dtype=np.float64)
    return 0.5 * h * (1.0 + erf)


class ReferenceBert:
    """Sentence embeddings computed the slow, obvious way."""

    def __init__(self, model_dir: Path, max_length: int) -> None:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(model_dir / "model.safetensors"))
        self.w = {name: value.astype(np.float64) for name, value in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()

    def embed(self, text: str) -> Array:
        """Unit-length mean-pooled embedding of one text."""
        ids = self.tokenizer.encode(text).ids
        x = self._embeddings(np.array(ids))
        for i in range(self.layers):
            x = self._layer(x, f"encoder.layer.{i}")
        pooled: Array = x.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def _linear(self, x: Array, prefix: str) -> Array:
        return x @ self.w[f"{prefix}.weight"].T + self.w[f"{prefix}.bias"]

    def _norm(self, x: Array, prefix: str) -> Array:
        mean: Array = x.mean(axis=-1, keepdims=True)
        var: Array = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        scale, shift = self.w[f"{prefix}.weight"], self.w[f"{prefix}.bias"]
        return (x - mean) / np.sqrt(var + self.eps) * scale + shift

    def _embeddings(self, ids: npt.NDArray[np.int64]) -> Array:
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return self._norm(x, "embeddings.LayerNorm")

    def _attention(self, x: Array, prefix: str) -> Array:
        seq, hidden = x.shape
        size = hidden // self.heads

        def split(t: Array) -> Array:  # (seq, hidden) -> (heads, seq, size)
            return t.reshape(seq, self.heads, size).transpose(1, 0, 2)

        q, k, v = (split(self._linear(x, f"{prefix}.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        peak: Array = scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores - peak)
        probs /= probs.sum(axis=-1, keepdims=True)
        return (probs @ v).transpose(1, 0, 2).reshape(seq, hidden)

    def _layer(self, x: Array, prefix: str) -> Array:
        context = self._attention(x, f"{prefix}.attention.self")
        attended = self._linear(context, f"{prefix}.attention.output.dense")
        x = self._norm(attended + x, f"{prefix}.attention.output.LayerNorm")
        h = self._linear(x, f"{prefix}.intermediate.dense")
        out = self._linear(_gelu(h), f"{prefix}.output.dense")
        return self._norm(out + x, f"{prefix}.output.LayerNorm")
