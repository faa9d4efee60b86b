"""A Backend over a model that answers with probabilities only (a foreign model, or one of ours audited without
its saliency signature): ``explain`` gives the probabilities and the audit's own tokens, with per-token
attributions by occlusion or none.

Occlusion (leave one word out): a token's attribution is |p_pred(text) - p_pred(text without its word)|, the
predicted class's probability, the words removed as reliance removes them (saliency_core.words). It costs one
model call per word: a document's first ``max_words`` tokens are attributed (the record says truncated beyond),
and the calls are batched ``calls_per_request`` texts at a time. ``none`` costs nothing and attributes nothing:
the saliency is 0, and the reports say that saliency is not available for this model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from audit_engine.backends.base import Explained, ModelStatus
from audit_engine.options import DEFAULT_OCCLUSION_WORDS, OCCLUSION, PREDICT_ONLY_ATTRIBUTIONS
from saliency_core.words import Words

CALLS_PER_REQUEST = 256


class ProbabilityModel(Protocol):
    """What a model must answer for an audit without a saliency signature."""

    @property
    def model_name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def loaded_version(self) -> int: ...

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [B, C]."""
        ...

    def metadata(self) -> dict[str, Any]: ...

    def model_status(self) -> ModelStatus: ...

    def close(self) -> None: ...


class PredictOnlyBackend:
    """The Backend protocol over a ProbabilityModel (module docstring)."""

    def __init__(
        self,
        model: ProbabilityModel,
        attribution: str = OCCLUSION,
        max_words: int = DEFAULT_OCCLUSION_WORDS,
        calls_per_request: int = CALLS_PER_REQUEST,
    ) -> None:
        if attribution not in PREDICT_ONLY_ATTRIBUTIONS:
            raise ValueError(f"attribution {attribution!r} is not one of {PREDICT_ONLY_ATTRIBUTIONS}")
        self.model, self.attribution = model, attribution
        self.max_words, self.calls_per_request = max_words, calls_per_request

    @property
    def signature(self) -> str:
        return self.attribution

    @property
    def model_name(self) -> str:
        return self.model.model_name

    @property
    def description(self) -> str:
        return self.model.description

    @property
    def loaded_version(self) -> int:
        return self.model.loaded_version

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [B, C], ``calls_per_request`` texts a call."""
        step = self.calls_per_request
        if len(texts) <= step:
            return self.model.probabilities(texts)
        return np.concatenate([self.model.probabilities(texts[i : i + step]) for i in range(0, len(texts), step)])

    def explain(self, texts: Sequence[str]) -> Explained:
        """Shapes: B texts, W = the longest attributed row (at most ``max_words``; every token with none)."""
        words = [Words.of(text) for text in texts]
        probabilities = self.probabilities(texts)
        predicted = probabilities.argmax(axis=1)
        cap = self.max_words if self.attribution == OCCLUSION else None
        kept = [w.tokens if cap is None else w.tokens[:cap] for w in words]
        width = max((len(t) for t in kept), default=0)
        tokens = np.full((len(texts), max(width, 1)), b"", dtype=object)
        saliency = np.zeros((len(texts), max(width, 1)), np.float32)
        for b, row in enumerate(kept):
            tokens[b, : len(row)] = [t.encode("utf-8") for t in row]
        if self.attribution == OCCLUSION:
            variants, owners = [], []
            for b, (w, row) in enumerate(zip(words, kept)):
                for i in range(len(row)):
                    hidden = np.zeros(len(w.tokens), dtype=bool)
                    hidden[i] = True
                    variants.append(w.without(hidden))
                    owners.append((b, i))
            if variants:
                occluded = self.probabilities(variants)
                for (b, i), p in zip(owners, occluded):
                    saliency[b, i] = abs(float(probabilities[b, predicted[b]]) - float(p[predicted[b]]))
        class_names = self.model.metadata()["class_names"]
        return Explained(
            probabilities.astype(np.float32),
            np.asarray([class_names[c].encode("utf-8") for c in predicted], dtype=object),
            np.asarray([len(w.tokens) for w in words], dtype=np.int64),
            tokens,
            saliency,
        )

    def metadata(self) -> dict[str, Any]:
        return self.model.metadata()

    def model_status(self) -> ModelStatus:
        return self.model.model_status()

    def close(self) -> None:
        self.model.close()
