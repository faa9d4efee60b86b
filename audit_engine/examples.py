"""The report's highlighted documents: the documents that rely most on forbidden words, each with every explained
token's saliency (an excerpt of a long one)."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable

import numpy as np

from audit_engine.document import explained_tokens
from protos import audit_pb2
from saliency_core.lexicon import covered

EXAMPLE_TOKENS = 200  # tokens a report example shows; a longer document shows an excerpt

Record = audit_pb2.AuditRecord


@dataclasses.dataclass(order=True)  # ordered only to break exact rank ties in TopExamples' heap
class Example:
    """A document kept for the report, with every explained token's saliency."""

    share: float
    row: int
    doc_id: str
    label: str
    tokens: list[str]
    saliency: list[float]
    forbidden: list[bool]
    true_label: str = ""
    drop: float | None = None  # reliance: drop of p(predicted) without the forbidden words (None: not measured)
    flips: bool | None = None
    first_position: int = 0  # the excerpt's first token in the document (a long document shows an excerpt)
    explained: int = 0  # the document's explained tokens (0: all are shown)

    @classmethod
    def of(cls, record: Record, tokens_row: np.ndarray, saliency_row: np.ndarray) -> Example:
        """The report's view of an audited document (its explanation's tokens and saliency rows): all of a short
        one; of a longer one, EXAMPLE_TOKENS tokens around its most salient forbidden word. The forbidden positions
        are the record's matches (the lexicon already ran over these tokens)."""
        tokens = explained_tokens(tokens_row, record.token_count)
        forbidden = covered(((hit.start, hit.end) for hit in record.forbidden_terms), len(tokens))
        first, explained = 0, 0
        if len(tokens) > EXAMPLE_TOKENS:
            explained = len(tokens)
            positions = np.flatnonzero(forbidden)
            centre = int(positions[np.argmax(np.asarray(saliency_row)[positions])]) if len(positions) else 0
            first = max(0, min(centre - EXAMPLE_TOKENS // 2, len(tokens) - EXAMPLE_TOKENS))
            tokens = tokens[first : first + EXAMPLE_TOKENS]
            forbidden = forbidden[first : first + EXAMPLE_TOKENS]
        return cls(
            record.forbidden_share,
            record.row,
            record.id,
            record.predicted_label,
            tokens,
            [float(s) for s in saliency_row[first : first + len(tokens)]],
            forbidden.tolist(),
            record.true_label,
            record.reliance_drop if record.reliance_measured else None,
            record.reliance_flips if record.reliance_measured else None,
            first,
            explained,
        )


def example_rank(share: float, drop: float | None, row: int, reliance: bool) -> tuple[float, int]:
    """The report shows the documents that rely most on forbidden words: by the drop without them (``drop`` None:
    not measured), or by the forbidden share when the reliance check is off. Ties: earlier rows first."""
    return ((drop or 0.0) if reliance else share, -row)


class TopExamples:
    """The report's highlighted documents: the ``size`` best by ``example_rank``, each built only when it would be
    kept (building one copies its tokens and saliency). Two merge, so per-file sets in the Beam pipeline give the
    same examples as one pass over the corpus."""

    def __init__(self, size: int, reliance: bool, kept: Iterable[Example] = ()) -> None:
        self.size, self.reliance = size, reliance
        self.heap = [(*example_rank(e.share, e.drop, e.row, reliance), e) for e in kept]  # min-heap
        heapq.heapify(self.heap)

    def _admits(self, key):
        return len(self.heap) < self.size or key > self.heap[0][:2]

    def _push(self, item):
        (heapq.heappush if len(self.heap) < self.size else heapq.heapreplace)(self.heap, item)

    def offer(self, record: Record, tokens_row: np.ndarray, saliency_row: np.ndarray) -> None:
        drop = record.reliance_drop if record.reliance_measured else None
        key = example_rank(record.forbidden_share, drop, record.row, self.reliance)
        if self._admits(key):  # an example ranked below every kept one is not worth building
            self._push((*key, Example.of(record, tokens_row, saliency_row)))

    def merge(self, other: TopExamples) -> None:
        for item in other.heap:
            if self._admits(item[:2]):
                self._push(item)

    def ranked(self) -> list[Example]:
        """Best first."""
        return [example for *_, example in sorted(self.heap, key=lambda item: item[:2], reverse=True)]
