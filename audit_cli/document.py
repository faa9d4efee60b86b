"""Audit of one document from the saliency signature's outputs (DESIGN.md, "Audit semantics").

Shapes: T = max tokens, C = classes. Only the first ``explained`` tokens are real (the model pads
on the right with '').
"""

import dataclasses
import hashlib

import numpy as np

from protos import audit_pb2
from saliency_core import contract


@dataclasses.dataclass(frozen=True)
class CorpusRow:
    """One data row as the audit reads it. ``text`` is None for a row that is skipped (empty text)."""
    row: int  # 1-based data row number
    doc_id: str
    text: str
    true_label: str = ""
    rationale: np.ndarray = None  # uint8 [words] per-word rationale marks, or None


@dataclasses.dataclass(frozen=True)
class Explanation:
    """One document's outputs of an attribution signature (contract names in saliency_core.contract)."""
    probabilities: np.ndarray  # float [C]
    saliency: np.ndarray  # float [T], >= 0
    tokens: np.ndarray  # bytes [T], '' on padding
    predicted_label: bytes
    token_count: int
    completeness_gap: float = None  # integrated gradients only

    @classmethod
    def at(cls, outputs, index):
        """Row ``index`` of a batch of signature outputs {alias: array [B, ...]}."""
        gap = outputs.get(contract.COMPLETENESS_GAP)
        return cls(outputs[contract.PROBABILITIES][index], outputs[contract.SALIENCY][index],
                   outputs[contract.TOKENS][index], outputs[contract.PREDICTED_LABEL][index],
                   int(outputs[contract.TOKEN_COUNT][index]), None if gap is None else float(gap[index]))


@dataclasses.dataclass(frozen=True)
class RecordSettings:
    """What shapes a record besides the document: the model's classes and the run's options."""
    class_names: list
    lexicon: object = None  # saliency_core.lexicon.Lexicon or None
    threshold: float = 0.5
    top_k: int = 5
    redact: bool = False


def explained_tokens(tokens_row):
    """tokens_row: bytes/str [T] -> list of str without padding."""
    tokens = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in tokens_row]
    return [t for t in tokens if t]


def forbidden_share(saliency, forbidden_positions):
    """sum of saliency on forbidden positions / total saliency; 0 when there is no saliency mass."""
    total = float(np.sum(saliency, dtype=np.float64))
    if total <= 0.0:
        return 0.0
    return float(np.sum(saliency[forbidden_positions], dtype=np.float64)) / total


def audit_document(document, explanation, settings):
    """One AuditRecord from one document (CorpusRow) and its Explanation under RecordSettings."""
    lexicon, redact = settings.lexicon, settings.redact
    tokens = explained_tokens(explanation.tokens)
    explained = len(tokens)
    saliency = np.asarray(explanation.saliency[:explained], dtype=np.float32)
    forbidden = lexicon.position_mask(tokens) if lexicon is not None else np.zeros(explained, bool)
    share = forbidden_share(saliency, forbidden)
    probabilities = np.asarray(explanation.probabilities, dtype=np.float32)
    label = explanation.predicted_label
    label = label.decode("utf-8") if isinstance(label, bytes) else str(label)
    text = document.text
    record = audit_pb2.AuditRecord(
        row=document.row, id=document.doc_id, status=audit_pb2.RECORD_STATUS_SCORED,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text="" if redact else text,
        predicted_label=label, confidence=float(np.max(probabilities)),
        forbidden_share=share, saliency_mass=float(np.sum(saliency, dtype=np.float64)),
        flagged=share >= settings.threshold, token_count=explanation.token_count, explained_tokens=explained,
        truncated=explanation.token_count > explained, true_label=document.true_label)
    if explanation.completeness_gap is not None:
        record.completeness_gap = explanation.completeness_gap
    for name, p in zip(settings.class_names, probabilities):
        record.probabilities[name] = float(p)
    if lexicon is not None:
        for start, end, term in lexicon.matches(tokens):
            record.forbidden_terms.add(term=term, start=start, end=end,
                                       saliency=float(np.sum(saliency[start:end], dtype=np.float64)))
    # Most salient first; ties keep text order. Redaction keeps only forbidden words' text.
    for position in np.argsort(-saliency, kind="stable")[:settings.top_k]:
        shown = tokens[position] if not redact or forbidden[position] else ""
        record.top_tokens.add(token=shown, position=int(position),
                              saliency=float(saliency[position]), forbidden=bool(forbidden[position]))
    return record


def skipped_record(row, doc_id, text, reason, redact=False, true_label=""):
    return audit_pb2.AuditRecord(
        row=row, id=doc_id, status=audit_pb2.RECORD_STATUS_SKIPPED, skip_reason=reason,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text="" if redact else text, true_label=true_label)
