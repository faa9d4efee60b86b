"""Reliance: predict each document without all its forbidden terms, and without each term alone.

The report's headline (DESIGN.md): it measures the prediction, which a model cannot hide the way it can drive
gradient saliency to 0 on a word it still decides by. One extra ``probabilities`` call per batch: texts without
every forbidden term, plus, for documents holding two or more distinct terms, one text per term (a single-term
document's per-term result is the same).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit_engine.backends.base import Backend
from audit_engine.document import CorpusRow, Explanation
from audit_engine.evaluations.base import (
    AuditInputs,
    Batch,
    CompareMetric,
    CsvColumn,
    Evaluation,
    Gate,
    Record,
    Summary,
    fixed,
)
from audit_engine.formatting import md, percent
from audit_engine.options import AuditOptions
from saliency_core.lexicon import Lexicon


def _predicted(probabilities):
    return int(np.argmax(probabilities))


class Reliance(Evaluation):
    name = "reliance"
    needs_tokens = True
    headline = True
    csv_after = "confidence"
    csv_columns = (
        CsvColumn("reliance_measured", lambda r: int(r.reliance_measured)),
        CsvColumn("reliance_drop", lambda r: fixed(r.reliance_drop) if r.reliance_measured else ""),
        CsvColumn("reliance_flips", lambda r: int(r.reliance_flips) if r.reliance_measured else ""),
        CsvColumn(
            "term_reliance",
            lambda r: "; ".join(f"{t.term}:{t.drop:.6f}{':flips' if t.flips else ''}" for t in r.term_reliance),
        ),
    )
    gates = (
        Gate(
            "max_flip_fraction",
            "fraction of predictions that change without the forbidden words",
            "Gate: fail (exit 1) when more than this fraction of predictions (of documents with a forbidden word) "
            "changes without the forbidden words (0.02 = 2 %).",
            lambda s: s.reliance_flip_fraction,
        ),
        Gate(
            "max_mean_drop",
            "mean drop of p(predicted) without the forbidden words",
            "Gate: fail (exit 1) when the mean drop of p(predicted) without the forbidden words exceeds this "
            "(0.02 = 2 points of probability).",
            lambda s: s.mean_reliance_drop,
        ),
    )
    compare_metrics = (
        CompareMetric(
            "flip_fraction",
            "predictions that change without the forbidden words",
            lambda s: s.reliance_flip_fraction,
            -1,
            lambda s: s.reliance_documents > 0,
            requires=("lexicon",),
        ),
        CompareMetric(
            "mean_drop",
            "mean drop of p(predicted) without them",
            lambda s: s.mean_reliance_drop,
            -1,
            lambda s: s.reliance_documents > 0,
            unit="points",
            requires=("lexicon",),
        ),
    )

    @classmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Reliance | None:
        return cls(inputs.lexicon) if options.reliance and inputs.lexicon is not None else None

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.documents = self.flipped = 0
        self.drop_sum = 0.0
        self.terms: dict[str, list] = {}  # term -> [documents, drop_sum, flipped]

    def prepare(self, backend: Backend, batch: Batch) -> dict[int, dict[str | None, Any]]:
        texts: list[str] = []
        plan: list[tuple[int, str | None, list[str]]] = []  # (document index, term or None: all terms, terms)
        assert batch.tokens is not None  # needs_tokens
        for n, tokens in enumerate(batch.tokens):
            terms = sorted({term for _, _, term in self.lexicon.matches(tokens)})
            if not terms:
                continue
            texts.append(" ".join(self.lexicon.without(tokens)))
            plan.append((n, None, terms))
            if len(terms) > 1:
                for term in terms:
                    texts.append(" ".join(self.lexicon.without(tokens, term)))
                    plan.append((n, term, terms))
        if not texts:
            return {}
        probabilities = backend.probabilities(texts)
        prepared: dict[int, dict[str | None, Any]] = {}
        for (n, removed, terms), p in zip(plan, probabilities):
            entry = prepared.setdefault(n, {"terms": terms})
            entry[removed] = p
        return prepared

    def annotate(
        self,
        record: Record,
        prepared: dict[int, dict[str | None, Any]],
        index: int,
        document: CorpusRow,
        explanation: Explanation,
    ) -> None:
        entry = prepared.get(index)
        if entry is None:
            return
        original = np.asarray(explanation.probabilities)
        predicted = _predicted(original)

        def effect(p: np.ndarray) -> tuple[float, bool]:
            return float(original[predicted] - p[predicted]), _predicted(p) != predicted

        record.reliance_measured = True
        record.reliance_drop, record.reliance_flips = effect(entry[None])
        for term in entry["terms"]:
            drop, flips = effect(entry[term] if len(entry["terms"]) > 1 else entry[None])
            record.term_reliance.add(term=term, drop=drop, flips=flips)

    def add(self, record: Record) -> None:
        if not record.reliance_measured:
            return
        self.documents += 1
        self.drop_sum += record.reliance_drop
        self.flipped += record.reliance_flips
        for item in record.term_reliance:
            stats = self.terms.setdefault(item.term, [0, 0.0, 0])
            stats[0] += 1
            stats[1] += item.drop
            stats[2] += item.flips

    def merge(self, other: Reliance) -> None:
        self.documents += other.documents
        self.flipped += other.flipped
        self.drop_sum += other.drop_sum
        for term, (documents, drop_sum, flipped) in other.terms.items():
            stats = self.terms.setdefault(term, [0, 0.0, 0])
            stats[0] += documents
            stats[1] += drop_sum
            stats[2] += flipped

    def summarise(self, summary: Summary) -> None:
        summary.reliance_documents = self.documents
        if self.documents:
            summary.mean_reliance_drop = self.drop_sum / self.documents
            summary.reliance_flipped = self.flipped
            summary.reliance_flip_fraction = self.flipped / self.documents
        for term, (documents, drop_sum, flipped) in sorted(
            self.terms.items(), key=lambda item: (-item[1][1] / item[1][0], item[0])
        ):
            summary.term_reliance.add(
                term=term,
                documents=documents,
                mean_drop=drop_sum / documents,
                flipped=flipped,
                flip_fraction=flipped / documents,
            )

    @classmethod
    def markdown(cls, summary: Summary) -> list[str]:
        if not cls.ran(summary):
            return ["", "Reliance: not measured (--no-reliance, or no --forbidden lexicon)."]
        if not summary.reliance_documents:
            return [
                "",
                "Reliance: no document holds a forbidden word, so removal changes nothing."
                if summary.with_forbidden_terms == 0
                else "Reliance: not measured (--no-reliance).",
            ]
        lines = [
            "",
            "| documents with a forbidden word | predictions that change without them | mean drop of p(predicted) |",
            "|---|---|---|",
            f"| {summary.reliance_documents} | {summary.reliance_flipped} "
            f"({summary.reliance_flip_fraction * 100:.1f} %) | {percent(summary.mean_reliance_drop)} points |",
            "",
            "| term | documents | mean drop without the term (points) | predictions that change |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {md(t.term)} | {t.documents} | {percent(t.mean_drop)} | {t.flipped} ({t.flip_fraction * 100:.1f} %) |"
            for t in summary.term_reliance
        ]
        return lines
