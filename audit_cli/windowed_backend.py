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

Shapes: a batch's outputs keep the signature's aliases; with a windowed document in the batch, ``saliency``,
``tokens`` (and ``attributions``) become lists of 1-D arrays, one per text, of length T for short texts and
min(n, max_document_tokens) for windowed ones, so one long document does not pad the whole batch.
"""

import dataclasses

import numpy as np

from audit_cli.windows import WINDOWS, WindowConfig
from saliency_core import contract
from saliency_core.errors import InputError
from saliency_core.windows import TextWindows, cut_windows


def owned_ranges(starts, max_tokens, token_count):
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


def combine_probabilities(window_probabilities):
    """float [W, C] -> float32 [C]: softmax of the mean of log p over windows."""
    log_p = np.log(np.maximum(np.asarray(window_probabilities, dtype=np.float64), np.finfo(np.float64).tiny))
    mean = log_p.mean(axis=0)
    exp = np.exp(mean - mean.max())
    return (exp / exp.sum()).astype(np.float32)


# Outputs with a value per token: stitched from the windows, one 1-D array per text (tokens too).
PER_TOKEN_OUTPUTS = (contract.SALIENCY, contract.ATTRIBUTIONS)
# The batch arrays rebuilt from per-text values keep the signature's dtypes.
OUTPUT_DTYPES = {contract.PROBABILITIES: np.float32, contract.PREDICTED_LABEL: object,
                 contract.TOKEN_COUNT: np.int32, contract.COMPLETENESS_GAP: np.float32, WINDOWS: np.int32}


class WindowedBackend:
    """A backend whose ``explain`` and ``probabilities`` accept texts of any length (module docstring); every
    other attribute is the wrapped backend's."""

    def __init__(self, backend, config: WindowConfig, metadata: dict):
        self.backend = backend
        self.config = config
        self.max_tokens = int(metadata["max_tokens"])
        self.stride = config.resolved_stride(metadata)
        if not 1 <= self.stride <= self.max_tokens:
            raise InputError(f"--window-stride {self.stride} must be between 1 and the model's T = "
                             f"{self.max_tokens} (a larger stride leaves tokens between windows unexplained)")
        self.class_names = [c.encode("utf-8") for c in metadata["class_names"]]

    def __getattr__(self, name):
        return getattr(self.backend, name)

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
            yield rows[begin:begin + step]

    def explain(self, texts):
        """The attribution signature's outputs for texts of any length (shapes in the module docstring)."""
        plans = [self._long_text(text) for text in texts]
        if all(plan is None for plan in plans):
            return self.backend.explain(texts)
        rows = [None] * len(texts)  # per text: {alias: its value}; a short text's row of every output
        window_probabilities = [[] for _ in texts]
        for chunk in self._chunks(texts, plans):
            outputs = self.backend.explain([text for text, _, _ in chunk])
            per_token = [alias for alias in PER_TOKEN_OUTPUTS if alias in outputs]
            for row, (_, index, number) in enumerate(chunk):
                if number < 0:
                    rows[index] = {alias: values[row] for alias, values in outputs.items()}
                    rows[index][WINDOWS] = 0
                    continue
                plan = plans[index]
                windows = plan.windows
                if rows[index] is None:
                    rows[index] = {alias: np.zeros(len(windows.tokens), np.float32) for alias in per_token}
                    rows[index].update({contract.TOKENS: np.asarray(windows.tokens, dtype=object),
                                        contract.TOKEN_COUNT: windows.token_count, WINDOWS: len(windows)})
                offset = windows.starts[number]
                expected = min(self.max_tokens, len(windows.tokens) - offset)
                if int(outputs[contract.TOKEN_COUNT][row]) != expected:
                    raise RuntimeError(f"window {number} of text {index} tokenized to "
                                       f"{int(outputs[contract.TOKEN_COUNT][row])} tokens, expected {expected}: "
                                       "the Python tokenizer and the model's disagree")
                begin, end = plan.owned[number]
                for alias in per_token:
                    rows[index][alias][begin:end] = outputs[alias][row][begin - offset:end - offset]
                if contract.COMPLETENESS_GAP in outputs:  # the convergence check must hold in every window
                    gap = outputs[contract.COMPLETENESS_GAP][row]
                    rows[index][contract.COMPLETENESS_GAP] = max(rows[index].get(contract.COMPLETENESS_GAP, 0.0), gap,
                                                                 key=abs)
                window_probabilities[index].append(outputs[contract.PROBABILITIES][row])
        for index, plan in enumerate(plans):
            if plan is not None:
                combined = combine_probabilities(window_probabilities[index])
                rows[index].update({contract.PROBABILITIES: combined,
                                    contract.PREDICTED_LABEL: self.class_names[int(np.argmax(combined))]})
        long_row = next(row for row, plan in zip(rows, plans) if plan is not None)  # the outputs every text has
        return {alias: [row[alias] for row in rows] if alias in PER_TOKEN_OUTPUTS + (contract.TOKENS,)
                else np.asarray([row[alias] for row in rows], dtype=OUTPUT_DTYPES.get(alias))
                for alias in long_row}

    def probabilities(self, texts):
        """float [B, C] for texts of any length: windows combined as in ``explain``."""
        plans = [self._long_text(text) for text in texts]
        if all(plan is None for plan in plans):
            return self.backend.probabilities(texts)
        rows = [None] * len(texts)
        window_rows = {}
        for chunk in self._chunks(texts, plans):
            probabilities = self.backend.probabilities([text for text, _, _ in chunk])
            for p, (_, index, number) in zip(probabilities, chunk):
                if number < 0:
                    rows[index] = p
                else:
                    window_rows.setdefault(index, []).append(p)
        for index, window_probabilities in window_rows.items():
            rows[index] = combine_probabilities(window_probabilities)
        return np.stack(rows)

