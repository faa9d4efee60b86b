"""Agreement of the saliency with a human rationale (ERASER token F1 and AUPRC)."""

from __future__ import annotations

import numpy as np

from audit_engine.backends.base import Backend
from audit_engine.document import CorpusRow, Explanation
from audit_engine.evaluations import rationale_metrics
from audit_engine.evaluations.base import AuditInputs, Batch, CsvColumn, Evaluation, Record, Summary, fixed
from audit_engine.formatting import count
from audit_engine.options import AuditOptions
from saliency_core.text import surface_tokens_with_word_index


class Rationale(Evaluation):
    name = "rationale"
    csv_after = "true_label"
    csv_columns = (
        CsvColumn("has_rationale", lambda r: int(r.has_rationale)),
        CsvColumn("rationale_missing", lambda r: int(r.rationale_missing)),
        CsvColumn("rationale_token_f1", lambda r: fixed(r.rationale_token_f1) if r.has_rationale else ""),
        CsvColumn("rationale_auprc", lambda r: fixed(r.rationale_auprc) if r.has_rationale else ""),
    )

    @classmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Rationale | None:
        return cls() if options.rationale_column else None

    def __init__(self) -> None:
        self.documents = 0
        self.f1_sum = self.auprc_sum = 0.0

    def prepare(self, backend: Backend, batch: Batch) -> np.ndarray:
        """The word index of each of the model's tokens, int [B, T], -1 on padding (the Python twin of the
        graph's tokenizer, so the light client needs no TensorFlow)."""
        word_index = np.full((len(batch.texts), batch.max_tokens), -1, dtype=np.int32)
        for row, text in enumerate(batch.texts):
            positions = surface_tokens_with_word_index(text)[1][: batch.max_tokens]
            word_index[row, : len(positions)] = positions
        return word_index

    def annotate(
        self, record: Record, word_index: np.ndarray, index: int, document: CorpusRow, explanation: Explanation
    ) -> None:
        if document.rationale is None:
            return
        explained = record.explained_tokens
        rationale = document.rationale[word_index[index][:explained]].astype(bool)
        saliency = np.asarray(explanation.saliency[:explained])
        if rationale.any():
            record.has_rationale = True
            record.rationale_token_f1 = rationale_metrics.token_f1(saliency, rationale, int(rationale.sum()))[2]
            record.rationale_auprc = rationale_metrics.auprc(saliency, rationale)

    def add(self, record: Record) -> None:
        if record.has_rationale:
            self.documents += 1
            self.f1_sum += record.rationale_token_f1
            self.auprc_sum += record.rationale_auprc

    def merge(self, other: Rationale) -> None:
        self.documents += other.documents
        self.f1_sum += other.f1_sum
        self.auprc_sum += other.auprc_sum

    def summarise(self, summary: Summary) -> None:
        if self.documents:
            summary.rationale_documents = self.documents
            summary.mean_rationale_token_f1 = self.f1_sum / self.documents
            summary.mean_rationale_auprc = self.auprc_sum / self.documents

    @staticmethod
    def markdown(summary: Summary) -> list[str]:
        if not summary.rationale_documents and not summary.rationale_missing_documents:
            return []
        return [
            "",
            f"Human rationale ({count(summary.rationale_documents, 'document')} with rationale tokens in the explained "
            f"part; {count(summary.rationale_missing_documents, 'document')} had no rationale): mean token F1 "
            f"{summary.mean_rationale_token_f1 * 100:.1f} %, mean AUPRC "
            f"{summary.mean_rationale_auprc * 100:.1f} %.",
        ]
