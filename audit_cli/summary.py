"""Streaming corpus summary: counts, share distribution, per-term and per-class tables, gates."""

import array
import datetime

import numpy as np

from protos import audit_pb2

HISTOGRAM_BINS = 10


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class SummaryBuilder:
    """Accumulates AuditRecords in O(terms + classes) memory plus 4 bytes per document with a forbidden term."""

    def __init__(self, toxic_classes=()):
        self.toxic_classes = tuple(toxic_classes)
        self.occlusion_documents = self.occlusion_flipped = 0
        self.occlusion_drop_sum = 0.0
        self.rationale_documents = 0
        self.rationale_f1_sum = self.rationale_auprc_sum = 0.0
        # Bias metrics need every scored, labelled document: 5 bytes each plus 8 per term match.
        self.bias_scores = array.array("f")
        self.bias_labels = array.array("b")
        self.bias_term_rows = {}
        self.documents = self.scored = self.skipped = self.flagged = self.truncated = 0
        self.with_terms = 0
        self.labelled = self.correct = 0
        self.shares = array.array("f")  # forbidden_share of documents containing a forbidden term
        self.terms = {}  # term -> [documents, occurrences, saliency_mass, share_sum]
        self.classes = {}  # label -> [documents, with_terms, flagged, share_sum]

    def add(self, record):
        self.documents += 1
        if record.status != audit_pb2.RECORD_STATUS_SCORED:
            self.skipped += 1
            return
        self.scored += 1
        self.flagged += record.flagged
        self.truncated += record.truncated
        if record.true_label:
            self.labelled += 1
            self.correct += record.true_label == record.predicted_label
            if self.toxic_classes:
                for term in {hit.term for hit in record.forbidden_terms}:
                    self.bias_term_rows.setdefault(term, array.array("q")).append(len(self.bias_scores))
                self.bias_scores.append(sum(record.probabilities[c] for c in self.toxic_classes))
                self.bias_labels.append(record.true_label in self.toxic_classes)
        if record.occluded:
            self.occlusion_documents += 1
            self.occlusion_drop_sum += record.occlusion_drop
            self.occlusion_flipped += record.occlusion_flips
        if record.has_rationale:
            self.rationale_documents += 1
            self.rationale_f1_sum += record.rationale_token_f1
            self.rationale_auprc_sum += record.rationale_auprc
        has_terms = len(record.forbidden_terms) > 0
        cls = self.classes.setdefault(record.predicted_label, [0, 0, 0, 0.0])
        cls[0] += 1
        cls[2] += record.flagged
        cls[3] += record.forbidden_share
        if not has_terms:
            return
        self.with_terms += 1
        cls[1] += 1
        self.shares.append(record.forbidden_share)
        seen = set()
        for hit in record.forbidden_terms:
            stats = self.terms.setdefault(hit.term, [0, 0, 0.0, 0.0])
            if hit.term not in seen:
                stats[0] += 1
                seen.add(hit.term)
            stats[1] += 1
            stats[2] += hit.saliency
            stats[3] += hit.saliency / record.saliency_mass if record.saliency_mass > 0 else 0.0

    def build(self, summary):
        """Fill the counting fields of an AuditSummary (the caller sets model, input and timing fields)."""
        summary.documents = self.documents
        summary.scored = self.scored
        summary.skipped = self.skipped
        summary.with_forbidden_terms = self.with_terms
        summary.flagged = self.flagged
        summary.flagged_fraction = self.flagged / self.scored if self.scored else 0.0
        summary.truncated = self.truncated
        summary.labelled = self.labelled
        summary.accuracy = self.correct / self.labelled if self.labelled else 0.0
        if self.occlusion_documents:
            summary.occlusion_documents = self.occlusion_documents
            summary.mean_occlusion_drop = self.occlusion_drop_sum / self.occlusion_documents
            summary.occlusion_flipped = self.occlusion_flipped
        if self.rationale_documents:
            summary.rationale_documents = self.rationale_documents
            summary.mean_rationale_token_f1 = self.rationale_f1_sum / self.rationale_documents
            summary.mean_rationale_auprc = self.rationale_auprc_sum / self.rationale_documents
        if self.toxic_classes and len(self.bias_scores):
            from audit_cli import bias_metrics
            labels = np.frombuffer(self.bias_labels, dtype=np.int8).astype(bool)
            scores = np.frombuffer(self.bias_scores, dtype=np.float32).astype(np.float64)
            subgroups = {}
            for term, rows in self.bias_term_rows.items():
                mask = np.zeros(len(scores), bool)
                mask[np.frombuffer(rows, dtype=np.int64)] = True
                subgroups[term] = mask
            rows, difference = bias_metrics.bias_table(labels, scores, subgroups)
            summary.toxic_classes[:] = list(self.toxic_classes)
            summary.toxic_auc = bias_metrics.auc(labels, scores)
            summary.pinned_auc_equality_difference = difference
            for term, documents, subgroup, bpsn, bnsp, pinned in rows:
                summary.term_bias.add(term=term, documents=documents, subgroup_auc=subgroup, bpsn_auc=bpsn,
                                      bnsp_auc=bnsp, pinned_auc=pinned)
        distribution = summary.share_distribution
        distribution.documents = len(self.shares)
        shares = np.frombuffer(self.shares, dtype=np.float32).astype(np.float64) if self.shares else np.zeros(0)
        if len(shares):
            distribution.mean = float(shares.mean())
            distribution.median, distribution.p90, distribution.p99 = (
                float(v) for v in np.percentile(shares, [50, 90, 99]))
        distribution.histogram[:] = np.histogram(shares, bins=HISTOGRAM_BINS, range=(0.0, 1.0))[0].tolist()
        for term, (documents, occurrences, mass, share_sum) in sorted(
                self.terms.items(), key=lambda item: (-item[1][2], item[0])):
            summary.terms.add(term=term, documents=documents, occurrences=occurrences,
                              saliency_mass=mass, mean_share=share_sum / occurrences)
        for label, (documents, with_terms, flagged, share_sum) in sorted(self.classes.items()):
            summary.classes.add(label=label, documents=documents, with_forbidden_terms=with_terms,
                                flagged=flagged, mean_forbidden_share=share_sum / documents)
        return summary


GATES = {
    "fail_above": ("mean forbidden share over documents with a forbidden term",
                   lambda s: s.share_distribution.mean),
    "max_flagged_fraction": ("fraction of scored documents flagged",
                             lambda s: s.flagged_fraction),
}


def apply_gates(summary, limits):
    """limits: {gate name: limit or None}. Adds GateResults; returns True when all pass."""
    passed = True
    for name, limit in limits.items():
        if limit is None:
            continue
        description, observe = GATES[name]
        observed = observe(summary)
        ok = observed <= limit
        passed &= ok
        summary.gates.add(name=name, limit=limit, observed=observed, passed=ok,
                          description=f"{description} must be <= {limit:g}")
    return passed
