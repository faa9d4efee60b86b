"""Per-term bias AUCs (subgroup, BPSN, BNSP, pinned; Borkan et al. 2019) on a binary task."""

from __future__ import annotations

import array
from collections.abc import Iterable
from typing import Any

import numpy as np

from audit_engine.evaluations import bias_metrics
from audit_engine.evaluations.base import AuditInputs, Evaluation, Record, Summary
from audit_engine.formatting import bracketed, md, percent
from audit_engine.options import AuditOptions
from audit_engine.statistics import DEFAULT_CONFIDENCE, Interval, fill


def _fill(field: Any, interval: Interval | None) -> None:
    if interval is not None:
        fill(field, interval)


class Bias(Evaluation):
    """Per-term bias AUCs on the binary task of --toxic-classes (needs --label-column)."""

    name = "bias"
    single_text = False  # AUCs need many labelled documents

    @classmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Bias | None:
        return cls(options.toxic_classes, options.confidence) if options.toxic_classes else None

    def __init__(self, toxic_classes: Iterable[str], confidence: float = DEFAULT_CONFIDENCE) -> None:
        self.confidence = confidence
        self.toxic_classes = tuple(toxic_classes)
        # Every scored, labelled document: 5 bytes each plus 8 per term match.
        self.scores = array.array("f")
        self.labels = array.array("b")
        self.term_rows: dict[str, array.array] = {}

    def add(self, record: Record) -> None:
        if not record.true_label or not record.predicted_label:
            return
        for term in {hit.term for hit in record.forbidden_terms}:
            self.term_rows.setdefault(term, array.array("q")).append(len(self.scores))
        self.scores.append(sum(record.probabilities[c] for c in self.toxic_classes))
        # Labels are model classes, or "positive" / "negative" after a binary --label-map.
        self.labels.append(record.true_label in self.toxic_classes or record.true_label == "positive")

    def merge(self, other: Bias) -> None:
        """Append another accumulator's documents. Exact AUCs and the pinned AUC's background draws need every
        labelled document's score in one place: the Beam combiner holds them too (5 bytes per document and 8 per
        term match), the one summary part that is not a fixed-size sketch."""
        offset = len(self.scores)
        self.scores.extend(other.scores)
        self.labels.extend(other.labels)
        for term, rows in other.term_rows.items():
            shifted = np.frombuffer(rows, dtype=np.int64) + offset
            self.term_rows.setdefault(term, array.array("q")).frombytes(shifted.tobytes())

    def summarise(self, summary: Summary) -> None:
        if not len(self.scores):
            return
        labels = np.frombuffer(self.labels, dtype=np.int8).astype(bool)
        scores = np.frombuffer(self.scores, dtype=np.float32).astype(np.float64)
        subgroups: dict[str, np.ndarray] = {}
        for term, positions in self.term_rows.items():
            mask = np.zeros(len(scores), bool)
            mask[np.frombuffer(positions, dtype=np.int64)] = True
            subgroups[term] = mask
        # The pinned AUC draws background documents by position: put the documents in an order that does not
        # depend on the order they arrived in (Beam merges files in any order), so that the same corpus gives
        # the same figures whichever runner audits it, however it is split into files.
        order = np.lexsort([*(subgroups[term] for term in sorted(subgroups, reverse=True)), labels, scores])
        labels, scores = labels[order], scores[order]
        subgroups = {term: mask[order] for term, mask in subgroups.items()}
        table, difference, spread = bias_metrics.bias_table(labels, scores, subgroups)
        summary.toxic_classes[:] = list(self.toxic_classes)
        summary.toxic_auc = bias_metrics.auc(labels, scores)
        _fill(summary.toxic_auc_interval, bias_metrics.auc_interval(labels, scores, self.confidence))
        summary.pinned_auc_equality_difference = difference
        summary.pinned_auc_equality_difference_sd = spread
        summary.pinned_auc_draws = bias_metrics.PINNED_DRAWS
        for term, documents, subgroup, bpsn, bnsp, pinned in table:
            item = summary.term_bias.add(
                term=term, documents=documents, subgroup_auc=subgroup, bpsn_auc=bpsn, bnsp_auc=bnsp, pinned_auc=pinned
            )
            mask = subgroups[term]
            for field, pick in (
                (item.subgroup_auc_interval, mask),
                (item.bpsn_auc_interval, bias_metrics.bpsn_pick(labels, mask)),
                (item.bnsp_auc_interval, bias_metrics.bnsp_pick(labels, mask)),
            ):
                _fill(field, bias_metrics.auc_interval(labels[pick], scores[pick], self.confidence))

    @staticmethod
    def markdown(summary: Summary) -> list[str]:
        if not summary.term_bias:
            return []
        lines = [
            "",
            f"## Bias metrics (toxic = {', '.join(md(c) for c in summary.toxic_classes)}; overall AUC "
            f"{percent(summary.toxic_auc)} %{bracketed(summary, 'toxic_auc_interval')}; pinned AUC equality difference "
            f"{summary.pinned_auc_equality_difference:.3f} ± {summary.pinned_auc_equality_difference_sd:.3f} "
            f"over {summary.pinned_auc_draws} background draws)",
            "",
            "| term | documents | subgroup AUC % (CI) | BPSN AUC % (CI) | BNSP AUC % (CI) | pinned AUC % |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {md(b.term)} | {b.documents} | {percent(b.subgroup_auc)}{bracketed(b, 'subgroup_auc_interval')} | "
            f"{percent(b.bpsn_auc)}{bracketed(b, 'bpsn_auc_interval')} | "
            f"{percent(b.bnsp_auc)}{bracketed(b, 'bnsp_auc_interval')} | {percent(b.pinned_auc)} |"
            for b in summary.term_bias
        ]
        return lines
