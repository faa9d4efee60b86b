"""Long documents: every token explained, not only the first T (DESIGN.md, "Long documents").

The exported signatures see at most T tokens per text. ``WindowedBackend`` wraps any backend (gRPC or embedded)
so that a text of n > T surface tokens is cut into windows of T tokens whose starts are ``stride`` apart (the
last window ends on the document's last token), and the model scores every window in the same requests as the
batch's short texts. Then, per document:

- prediction: softmax of the mean over windows of log p (the mean of the windows' logits: softmax is invariant
  to the per-window log-normaliser), so every window votes with its confidence;
- saliency (and integrated-gradients attributions): each token takes its value from exactly one window, the one
  in which it sits farthest from an edge (ties: the earlier window), so overlaps never count a token twice and
  every token keeps context on both sides where the document has it. A window's saliency is that of the
  window's own predicted class; the signature has no input for the class to explain;
- integrated gradients' completeness gap: the window with the largest |gap| (the convergence check must hold in
  every window);
- ``probabilities`` (the reliance and substitution checks) combines windows the same way, so a forbidden word at
  token 5,000 is removed and measured like one at token 5.

A window's text is the document's own words from its first token's word to its last token's word, so the model
tokenizes exactly the document's tokens (tokenization is per whitespace word; a word gives at most one token).
Texts of at most T tokens go to the model unchanged: their records are byte-identical to an unwindowed run.
Beyond ``max_document_tokens`` (a documented hard cap that bounds one document's memory and time) tokens are not
explained and the record says ``truncated``.

Shapes: with a windowed document in the batch the result is ``Explained.ragged``: ``saliency``, ``tokens`` (and
``attributions``) hold one 1-D array per text, of length T for short texts and min(n, max_document_tokens) for
windowed ones, so one long document does not pad the whole batch; ``windows`` counts each text's windows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from audit_engine.backends.base import Backend, Explained, ModelStatus, PerToken
from audit_engine.options import WindowConfig
from saliency_core.errors import InputError
from saliency_core.windows import TextWindows, cut_windows

WINDOWS_CONTRACT = 3  # the Python tokenizer equals the graph's from contract 3 on (NFKC folding)


def windowed(backend: Backend, config: WindowConfig, metadata: dict[str, Any]) -> tuple[Backend, int]:
    """(backend wrapped in a WindowedBackend, the stride), or (``backend`` itself, 0) when windows are off or the
    model predates contract 3 (its graph tokenizes differently from the Python tokenizer that cuts the windows;
    the report then says that tokens beyond T were not explained)."""
    if not config.enabled or int(metadata.get("contract_version", 0)) < WINDOWS_CONTRACT:
        return backend, 0
    wrapped: WindowedBackend = WindowedBackend(backend, config, metadata)
    return wrapped, wrapped.stride


def owned_ranges(starts: Sequence[int] | np.ndarray, max_tokens: int, token_count: int) -> np.ndarray:
    """int [W, 2]: the [begin, end) of tokens each window explains (starts: int [W], ascending). Between
    consecutive windows a and b (starts s_a < s_b) a token i in the overlap goes to a when
    s_a + T - 1 - i >= i - s_b (it is at least as far from a's right edge as from b's left edge). The ranges
    partition [0, token_count)."""
    starts = np.asarray(starts, dtype=np.int64)
    boundaries = (starts[:-1] + starts[1:] + max_tokens + 1) // 2
    begins = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [token_count]])
    return np.stack([begins, ends], axis=1)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How one long text goes to the model: its windows, and the [begin, end) of tokens each window explains."""

    windows: TextWindows
    owned: np.ndarray  # int [W, 2]


def combine_probabilities(window_probabilities: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """float [W, C] -> float32 [C]: softmax of the mean of log p over windows."""
    log_p = np.log(np.maximum(np.asarray(window_probabilities, dtype=np.float64), np.finfo(np.float64).tiny))
    mean = log_p.mean(axis=0)
    exp = np.exp(mean - mean.max())
    return (exp / exp.sum()).astype(np.float32)


class WindowedBackend:
    """A backend whose ``explain`` and ``probabilities`` accept texts of any length (module docstring); the rest
    of the Backend interface is the wrapped backend's."""

    def __init__(self, backend: Backend, config: WindowConfig, metadata: dict[str, Any]):
        self.backend = backend
        self.config = config
        self.max_tokens = int(metadata["max_tokens"])
        self.stride = config.resolved_stride(metadata)
        if not 1 <= self.stride <= self.max_tokens:
            raise InputError(
                f"--window-stride {self.stride} must be between 1 and the model's T = "
                f"{self.max_tokens} (a larger stride leaves tokens between windows unexplained)"
            )
        self.class_names = [c.encode("utf-8") for c in metadata["class_names"]]

    @property
    def signature(self) -> str:
        return self.backend.signature

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    @property
    def description(self) -> str:
        return self.backend.description

    @property
    def loaded_version(self) -> int:
        return self.backend.loaded_version

    def metadata(self) -> dict[str, Any]:
        return self.backend.metadata()

    def model_status(self) -> ModelStatus:
        return self.backend.model_status()

    def close(self) -> None:
        self.backend.close()

    def _long_text(self, text):
        """A _Plan for a text of more than T tokens, else None. Most texts are decided without tokenizing: a
        text has no more tokens than str.split() words (a word gives at most one token)."""
        if len(text) <= 2 * self.max_tokens or len(text.split()) <= self.max_tokens:
            return None
        windows = cut_windows(text, self.max_tokens, self.stride, self.config.max_document_tokens)
        if windows is None:
            return None
        return _Plan(windows, owned_ranges(windows.starts, self.max_tokens, len(windows.tokens)))

    def _requests(self, texts, plans):
        """(request text, owner text index, window number or -1) for every model row, in order."""
        for index, (text, plan) in enumerate(zip(texts, plans)):
            if plan is None:
                yield text, index, -1
            else:
                for number, window_text in enumerate(plan.windows.texts):
                    yield window_text, index, number

    def _chunks(self, texts, plans):
        rows = list(self._requests(texts, plans))
        step = self.config.windows_per_request
        for begin in range(0, len(rows), step):
            yield rows[begin : begin + step]

    def explain(self, texts: Sequence[str]) -> Explained:
        """The attribution signature's outputs for texts of any length (shapes in the module docstring)."""
        plans = [self._long_text(text) for text in texts]
        if all(plan is None for plan in plans):
            return self.backend.explain(texts)
        rows: list[dict[str, Any]] = [{} for _ in texts]  # per text: its value of every output
        window_probabilities: list[list[np.ndarray]] = [[] for _ in texts]
        for chunk in self._chunks(texts, plans):
            outputs = self.backend.explain([text for text, _, _ in chunk])
            per_token: dict[str, PerToken] = {"saliency": outputs.saliency}
            if outputs.attributions is not None:
                per_token["attributions"] = outputs.attributions
            for row, (_, index, number) in enumerate(chunk):
                if number < 0:
                    rows[index] = {name: values[row] for name, values in per_token.items()}
                    rows[index].update(
                        tokens=outputs.tokens[row],
                        token_count=outputs.token_count[row],
                        windows=0,
                        probabilities=outputs.probabilities[row],
                        predicted_label=outputs.predicted_label[row],
                    )
                    if outputs.completeness_gap is not None:
                        rows[index]["completeness_gap"] = outputs.completeness_gap[row]
                    continue
                plan = plans[index]
                windows = plan.windows
                if not rows[index]:
                    rows[index] = {name: np.zeros(len(windows.tokens), np.float32) for name in per_token}
                    rows[index].update(
                        tokens=np.asarray(windows.tokens, dtype=object),
                        token_count=windows.token_count,
                        windows=len(windows),
                    )
                offset = windows.starts[number]
                expected = min(self.max_tokens, len(windows.tokens) - offset)
                if int(outputs.token_count[row]) != expected:
                    raise RuntimeError(
                        f"window {number} of text {index} tokenized to "
                        f"{int(outputs.token_count[row])} tokens, expected {expected}: "
                        "the Python tokenizer and the model's disagree"
                    )
                begin, end = plan.owned[number]
                for name, values in per_token.items():
                    rows[index][name][begin:end] = values[row][begin - offset : end - offset]
                if outputs.completeness_gap is not None:  # the convergence check must hold in every window
                    gap = outputs.completeness_gap[row]
                    rows[index]["completeness_gap"] = max(rows[index].get("completeness_gap", 0.0), gap, key=abs)
                window_probabilities[index].append(outputs.probabilities[row])
        for index, plan in enumerate(plans):
            if plan is not None:
                combined = combine_probabilities(window_probabilities[index])
                rows[index].update(probabilities=combined, predicted_label=self.class_names[int(np.argmax(combined))])

        def column(name: str, dtype: type) -> np.ndarray:
            return np.asarray([row[name] for row in rows], dtype=dtype)

        has = rows[0].keys()
        return Explained(
            column("probabilities", np.float32),
            column("predicted_label", object),
            column("token_count", np.int32),
            [row["tokens"] for row in rows],
            [row["saliency"] for row in rows],
            [row["attributions"] for row in rows] if "attributions" in has else None,
            column("completeness_gap", np.float32) if "completeness_gap" in has else None,
            column("windows", np.int32),
        )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """float [B, C] for texts of any length: windows combined as in ``explain``."""
        plans = [self._long_text(text) for text in texts]
        if all(plan is None for plan in plans):
            return self.backend.probabilities(texts)
        rows: list[np.ndarray | None] = [None] * len(texts)
        window_rows: dict[int, list[np.ndarray]] = {}
        for chunk in self._chunks(texts, plans):
            probabilities = self.backend.probabilities([text for text, _, _ in chunk])
            for p, (_, index, number) in zip(probabilities, chunk):
                if number < 0:
                    rows[index] = p
                else:
                    window_rows.setdefault(index, []).append(p)
        for index, window_probabilities in window_rows.items():
            rows[index] = combine_probabilities(window_probabilities)
        return np.stack(cast(list[np.ndarray], rows))  # every row was filled above
