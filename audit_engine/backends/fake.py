"""A numpy-only backend for tests and examples: a bag-of-words logistic model with exact gradient saliency.

It follows the export contract's semantics with the project's own Python tokenizer, so everything after the
backend (windows, records, evaluations, summaries, reports, Beam) can be tested without TensorFlow:

    logit(text) = bias + sum over the text's first T tokens of weight[token]
    p = [1 - sigmoid(logit), sigmoid(logit)]            (class_names[1] is the positive class)
    saliency_t = |d log p_predicted / d weight_t| = |weight[token_t]| * (1 - p_predicted)   (0 on padding)

Deleting a word removes its weight exactly, so reliance on a word is known in closed form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audit_engine.backends.base import Explained, ModelStatus, SignatureInfo
from saliency_core import contract
from saliency_core.text import tokenize_all


class FakeBackend:
    """``weights``: token -> weight toward ``class_names[1]``; other tokens weigh 0."""

    def __init__(
        self,
        weights: Mapping[str, float],
        max_tokens: int = 16,
        bias: float = 0.0,
        class_names: Sequence[str] = ("0", "1"),
        model_name: str = "fake",
        signature: str = contract.SALIENCY_SIGNATURE,
        version: int = 1,
        window_stride: int | None = None,
    ):
        self.weights = dict(weights)
        self.max_tokens = max_tokens
        self.bias = bias
        self.class_names = list(class_names)
        self.model_name = model_name
        self.signature = signature
        self.version = version
        self.window_stride = window_stride
        self.calls = {"explain": 0, "probabilities": 0}  # model calls, for tests of batching and caching

    @property
    def description(self) -> str:
        return "fake:" + self.model_name

    @property
    def loaded_version(self) -> int:
        return self.version

    def _logits(self, tokens: list[list[str]]) -> np.ndarray:
        return np.asarray(
            [self.bias + sum(self.weights.get(t, 0.0) for t in row[: self.max_tokens]) for row in tokens],
            dtype=np.float64,
        )

    @staticmethod
    def _probabilities(logits: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-logits))
        return np.stack([1.0 - positive, positive], axis=1).astype(np.float32)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        self.calls["probabilities"] += 1
        return self._probabilities(self._logits(tokenize_all(list(texts))))

    def explain(self, texts: Sequence[str]) -> Explained:
        self.calls["explain"] += 1
        tokens = tokenize_all(list(texts))
        p = self._probabilities(self._logits(tokens))
        predicted = p.argmax(axis=1)
        batch, width = len(tokens), self.max_tokens
        token_array = np.full((batch, width), b"", dtype=object)
        saliency = np.zeros((batch, width), np.float32)
        for row, words in enumerate(tokens):
            kept = words[:width]
            token_array[row, : len(kept)] = [w.encode("utf-8") for w in kept]
            saliency[row, : len(kept)] = [abs(self.weights.get(w, 0.0)) * (1.0 - p[row, predicted[row]]) for w in kept]
        labels = np.asarray([self.class_names[k].encode("utf-8") for k in predicted], dtype=object)
        counts = np.asarray([len(words) for words in tokens], dtype=np.int32)
        if self.signature == contract.INTEGRATED_GRADIENTS_SIGNATURE:
            return Explained(p, labels, counts, token_array, saliency, saliency.copy(), np.zeros(batch, np.float32))
        return Explained(p, labels, counts, token_array, saliency)

    def metadata(self) -> dict[str, Any]:
        model: dict[str, Any] = {"window_stride": self.window_stride} if self.window_stride else {}
        return json.loads(
            json.dumps(
                {
                    "model_name": self.model_name,
                    "class_names": self.class_names,
                    "max_tokens": self.max_tokens,
                    "contract_version": contract.CONTRACT_VERSION,
                    "model": model,
                }
            )
        )

    def model_status(self) -> ModelStatus:
        return ModelStatus(
            ((self.version, "AVAILABLE"),),
            (SignatureInfo(self.signature, (contract.TEXT_INPUT,), contract.SALIENCY_OUTPUTS),),
        )

    def close(self) -> None:
        pass
