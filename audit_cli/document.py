"""Audit of one document from the saliency signature's outputs (DESIGN.md, "Audit semantics").

Shapes: T = max tokens, C = classes. Only the first ``explained`` tokens are real (the model pads
on the right with '').
"""

import hashlib

import numpy as np

from protos import audit_pb2


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


def audit_document(row, doc_id, text, probabilities, saliency_row, tokens_row, predicted_label,
                   token_count, class_names, lexicon, threshold, top_k=5, redact=False, true_label=""):
    """One AuditRecord from one row of the saliency signature's outputs.

    probabilities float [C]; saliency_row float [T]; tokens_row bytes [T]; token_count int.
    """
    tokens = explained_tokens(tokens_row)
    explained = len(tokens)
    saliency = np.asarray(saliency_row[:explained], dtype=np.float32)
    forbidden = lexicon.position_mask(tokens) if lexicon is not None else np.zeros(explained, bool)
    share = forbidden_share(saliency, forbidden)
    probabilities = np.asarray(probabilities, dtype=np.float32)
    label = predicted_label.decode("utf-8") if isinstance(predicted_label, bytes) else str(predicted_label)
    record = audit_pb2.AuditRecord(
        row=row, id=doc_id, status=audit_pb2.RECORD_STATUS_SCORED,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text="" if redact else text,
        predicted_label=label, confidence=float(np.max(probabilities)),
        forbidden_share=share, saliency_mass=float(np.sum(saliency, dtype=np.float64)),
        flagged=share >= threshold, token_count=int(token_count), explained_tokens=explained,
        truncated=int(token_count) > explained, true_label=true_label)
    for name, p in zip(class_names, probabilities):
        record.probabilities[name] = float(p)
    if lexicon is not None:
        for start, end, term in lexicon.matches(tokens):
            record.forbidden_terms.add(term=term, start=start, end=end,
                                       saliency=float(np.sum(saliency[start:end], dtype=np.float64)))
    # Most salient first; ties keep text order. Redaction keeps only forbidden words' text.
    for position in np.argsort(-saliency, kind="stable")[:top_k]:
        shown = tokens[position] if not redact or forbidden[position] else ""
        record.top_tokens.add(token=shown, position=int(position),
                              saliency=float(saliency[position]), forbidden=bool(forbidden[position]))
    return record


def skipped_record(row, doc_id, text, reason, redact=False, true_label=""):
    return audit_pb2.AuditRecord(
        row=row, id=doc_id, status=audit_pb2.RECORD_STATUS_SKIPPED, skip_reason=reason,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text="" if redact else text, true_label=true_label)
