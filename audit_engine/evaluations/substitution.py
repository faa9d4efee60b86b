"""Counterfactual token fairness (Garg et al. 2019): replace each group term by each of its substitutes and
measure the move of p(predicted label)."""

from __future__ import annotations

import numpy as np

from audit_engine.backends.base import Backend
from audit_engine.document import CorpusRow, Explanation
from audit_engine.evaluations.base import (
    AuditInputs,
    Batch,
    CompareMetric,
    CsvColumn,
    Evaluation,
    Record,
    Summary,
    fixed,
    interval_of,
)
from audit_engine.formatting import count
from audit_engine.options import AuditOptions
from audit_engine.statistics import DEFAULT_CONFIDENCE, MeanSketch, bootstrap_weights, fill, wilson
from saliency_core.substitutions import SubstitutionGroups


class Substitution(Evaluation):
    name = "substitution"
    needs_tokens = True
    csv_after = "term_reliance"
    csv_columns = (
        CsvColumn("substitution_variants", lambda r: r.substitution_variants if r.substituted else ""),
        CsvColumn("substitution_gap_mean", lambda r: fixed(r.substitution_gap_mean) if r.substituted else ""),
        CsvColumn("substitution_gap_max", lambda r: fixed(r.substitution_gap_max) if r.substituted else ""),
        CsvColumn("substitution_flips", lambda r: int(r.substitution_flips) if r.substituted else ""),
    )
    compare_metrics = (
        CompareMetric(
            "substitution_gap",
            "mean substitution gap",
            lambda s: s.mean_substitution_gap,
            -1,
            lambda s: s.substitution_documents > 0,
            unit="points",
            interval=interval_of("mean_substitution_gap_interval"),
        ),
    )

    @classmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Substitution | None:
        return cls(inputs.substitutions, options.confidence) if inputs.substitutions is not None else None

    def __init__(self, groups: SubstitutionGroups, confidence: float = DEFAULT_CONFIDENCE) -> None:
        self.groups, self.confidence = groups, confidence
        self.gaps = MeanSketch()
        self.documents = self.flipped = 0
        self.mean_sum = self.max_sum = 0.0

    def prepare(self, backend: Backend, batch: Batch) -> dict[int, list[np.ndarray]]:
        texts, owners = [], []
        assert batch.words is not None  # needs_tokens
        for n, words in enumerate(batch.words):
            for _, substitute, spans in self.groups.variant_spans(words.tokens):
                texts.append(words.substituted(spans, substitute))
                owners.append(n)
        if not texts:
            return {}
        probabilities = backend.probabilities(texts)
        prepared: dict[int, list[np.ndarray]] = {}
        for n, p in zip(owners, probabilities):
            prepared.setdefault(n, []).append(p)
        return prepared

    def annotate(
        self,
        record: Record,
        prepared: dict[int, list[np.ndarray]],
        index: int,
        document: CorpusRow,
        explanation: Explanation,
    ) -> None:
        if not prepared.get(index):
            return
        original = np.asarray(explanation.probabilities)
        predicted = int(np.argmax(original))
        variants = np.asarray(prepared[index])  # float [V, C]
        gaps = np.abs(original[predicted] - variants[:, predicted])
        record.substituted = True
        record.substitution_variants = len(variants)
        record.substitution_gap_mean = float(gaps.mean())
        record.substitution_gap_max = float(gaps.max())
        record.substitution_flips = bool(np.any(variants.argmax(-1) != predicted))

    def add(self, record: Record) -> None:
        if record.substituted:
            self.documents += 1
            self.mean_sum += record.substitution_gap_mean
            self.max_sum += record.substitution_gap_max
            self.flipped += record.substitution_flips
            self.gaps.add(bootstrap_weights(record.id), record.substitution_gap_mean)

    def merge(self, other: Substitution) -> None:
        self.documents += other.documents
        self.mean_sum += other.mean_sum
        self.max_sum += other.max_sum
        self.flipped += other.flipped
        self.gaps.merge(other.gaps)

    def summarise(self, summary: Summary) -> None:
        summary.substitution_documents = self.documents
        if self.documents:
            summary.mean_substitution_gap = self.mean_sum / self.documents
            summary.mean_max_substitution_gap = self.max_sum / self.documents
            summary.substitution_flipped = self.flipped
            flips = wilson(self.flipped, self.documents, self.confidence)
            gaps = self.gaps.interval(self.confidence)
            fill(summary.substitution_flip_fraction_interval, flips)
            fill(summary.mean_substitution_gap_interval, gaps)

    @staticmethod
    def markdown(summary: Summary) -> list[str]:
        if not summary.substitution_documents:
            return ["", "Substitution: no document holds a term of the substitution groups."]
        return [
            "",
            f"Substitution ({count(summary.substitution_documents, 'document')} with a group term): replacing a "
            f"term by a substitute moves p(predicted label) by {summary.mean_substitution_gap * 100:.1f} "
            f"points on average (mean of each document's largest move: "
            f"{summary.mean_max_substitution_gap * 100:.1f} points) and changes the prediction of "
            f"{count(summary.substitution_flipped, 'document')}.",
        ]
