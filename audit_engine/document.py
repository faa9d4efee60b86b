"""Audit of one document from the saliency signature's outputs (DESIGN.md, "Audit semantics").

Shapes: T = max tokens, C = classes. Only the first ``explained`` tokens are real (the model pads
on the right with '').
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import numpy as np

from audit_engine.backends.base import Explained
from protos import audit_pb2
from saliency_core.lexicon import Lexicon, covered


@dataclasses.dataclass(frozen=True)
class CorpusRow:
    """One data row as the audit reads it. ``text`` is None for a row that is skipped (empty text)."""

    row: int  # 1-based data row number
    doc_id: str
    text: str | None
    true_label: str = ""
    rationale: np.ndarray | None = None  # uint8 [words] per-word rationale marks, or None
    rationale_missing: bool = False  # --rationale-column given, but this row's cell is empty
    token_count: int = 0  # tokens of the text as read, when it held more than --max-document-tokens (it is cut)
    text_sha256: str = ""  # sha256 of the text as read, when it was cut (the record names the document, not the cut)


@dataclasses.dataclass(frozen=True)
class Explanation:
    """One document's outputs of an attribution signature (contract names in saliency_core.contract)."""

    probabilities: np.ndarray  # float [C]
    saliency: np.ndarray  # float [T], >= 0
    tokens: np.ndarray  # bytes [T], '' on padding
    predicted_label: bytes
    token_count: int
    completeness_gap: float | None = None  # integrated gradients only
    order: np.ndarray | None = None  # int [T]: positions by saliency, highest first (ties in text order)
    windows: int = 0  # windows the document was explained in (backends.windowed); 0: one call on the text

    @classmethod
    def at(cls, explained: Explained, index: int, order: np.ndarray | list[np.ndarray] | None = None) -> Explanation:
        """Text ``index`` of a batch's Explained; ``order`` from ``batch_order``."""
        gap, windows = explained.completeness_gap, explained.windows
        return cls(
            explained.probabilities[index],
            explained.saliency[index],
            explained.tokens[index],
            explained.predicted_label[index],
            int(explained.token_count[index]),
            None if gap is None else float(gap[index]),
            None if order is None else order[index],
            0 if windows is None else int(windows[index]),
        )


def batch_order(explained: Explained, top_k: int) -> np.ndarray | list[np.ndarray]:
    """int [B, k]: each row's positions by saliency, highest first, ties in text order; one sort per batch (one
    per row when windows made the rows ragged).

    Padding has saliency 0 and sorts after every real token with the same saliency (stable sort, padding on the
    right), so the first min(k, explained) entries of a row are its real top tokens.
    """
    if explained.ragged:
        return [np.argsort(-row, kind="stable")[:top_k] for row in explained.saliency]
    return np.argsort(-np.asarray(explained.saliency), axis=1, kind="stable")[:, :top_k]


@dataclasses.dataclass(frozen=True)
class RecordSettings:
    """What shapes a record besides the document: the model's classes and the run's options."""

    class_names: list[str]
    lexicon: Lexicon | None = None
    threshold: float = 0.5
    top_k: int = 5
    redact: bool = False


def explained_tokens(tokens_row: np.ndarray | Sequence, count: int | None = None) -> list[str]:
    """tokens_row: bytes/str [T] -> list of str without padding. With ``count`` (the token count before
    truncation), only the first min(count, T) entries are read: the model pads on the right."""
    if count is not None:
        tokens_row = tokens_row[:count]
    tokens = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in tokens_row]
    return [t for t in tokens if t]


def forbidden_share(saliency: np.ndarray, forbidden_positions: np.ndarray, mass: float | None = None) -> float:
    """sum of saliency on forbidden positions / total saliency; 0 when there is no saliency mass.

    ``mass``: the total, when the caller has it. No reduction runs for a document without a forbidden position."""
    # The arrays' own sum: np.sum's wrapper costs more than the reduction on a sentence's tokens.
    total = float(saliency.sum(dtype=np.float64)) if mass is None else mass
    if total <= 0.0 or not forbidden_positions.any():
        return 0.0
    return float(saliency[forbidden_positions].sum(dtype=np.float64)) / total


def audit_document(document: CorpusRow, explanation: Explanation, settings: RecordSettings) -> audit_pb2.AuditRecord:
    """One AuditRecord from one document (CorpusRow) and its Explanation under RecordSettings."""
    lexicon, redact = settings.lexicon, settings.redact
    tokens = explained_tokens(explanation.tokens, explanation.token_count)
    explained = len(tokens)
    saliency = np.asarray(explanation.saliency[:explained], dtype=np.float32)
    # Python floats and bools, read once: a NumPy scalar per top token or one-token term costs more than the list.
    values = saliency.tolist()
    matches = lexicon.matches(tokens) if lexicon is not None else ()
    forbidden = covered(((start, end) for start, end, _ in matches), explained)  # one lexicon pass per record
    mass = float(saliency.sum(dtype=np.float64))
    share = forbidden_share(saliency, forbidden, mass)
    probabilities = np.asarray(explanation.probabilities, dtype=np.float32).tolist()
    # NumPy's max: NaN when any probability is NaN (Python's max would depend on where the NaN is).
    confidence = max(probabilities) if all(p == p for p in probabilities) else float("nan")
    raw_label = explanation.predicted_label
    label = raw_label.decode("utf-8") if isinstance(raw_label, bytes) else str(raw_label)
    text = document.text
    assert text is not None  # a skipped row has no explanation
    record = audit_pb2.AuditRecord(
        row=document.row,
        id=document.doc_id,
        status=audit_pb2.RECORD_STATUS_SCORED,
        text_sha256=document.text_sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text="" if redact else text,
        predicted_label=label,
        confidence=confidence,
        forbidden_share=share,
        saliency_mass=mass,
        flagged=share >= settings.threshold,
        token_count=max(explanation.token_count, document.token_count),
        explained_tokens=explained,
        # A cut document (text_sha256 set) is truncated even when its cut fell inside its last token's word.
        truncated=max(explanation.token_count, document.token_count) > explained or bool(document.text_sha256),
        true_label=document.true_label,
        rationale_missing=document.rationale_missing,
    )
    if explanation.completeness_gap is not None:
        record.completeness_gap = explanation.completeness_gap
    if explanation.windows:
        record.windows = explanation.windows
    for name, p in zip(settings.class_names, probabilities):
        record.probabilities[name] = p
    for start, end, term in matches:
        # One token's float32 summed in float64 is that float32: the value itself, without a reduction.
        term_saliency = values[start] if end - start == 1 else float(saliency[start:end].sum(dtype=np.float64))
        record.forbidden_terms.add(term=term, start=start, end=end, saliency=term_saliency)
    # Most salient first; ties keep text order. Redaction keeps only forbidden words' text.
    order = (
        explanation.order[: min(settings.top_k, explained)]
        if explanation.order is not None
        else np.argsort(-saliency, kind="stable")[: settings.top_k]
    )
    flags = forbidden.tolist()
    for position in order.tolist():
        shown = tokens[position] if not redact or flags[position] else ""
        record.top_tokens.add(token=shown, position=position, saliency=values[position], forbidden=flags[position])
    return record


def skipped_record(
    row: int, doc_id: str, text: str, reason: str, redact: bool = False, true_label: str = ""
) -> audit_pb2.AuditRecord:
    return audit_pb2.AuditRecord(
        row=row,
        id=doc_id,
        status=audit_pb2.RECORD_STATUS_SKIPPED,
        skip_reason=reason,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text="" if redact else text,
        true_label=true_label,
    )
