"""Streaming corpus summary: counts, share distribution, per-term and per-class tables, gates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from audit_engine.evaluations import Gate, evaluation_gates
from audit_engine.evaluations.base import interval_of
from audit_engine.formatting import ci, count, percent
from audit_engine.options import NO_ATTRIBUTION
from audit_engine.statistics import (
    DEFAULT_CONFIDENCE,
    Interval,
    MeanSketch,
    bootstrap_weights,
    documents_to_decide,
    fill,
    wilson,
)
from protos import audit_pb2

HISTOGRAM_BINS = 10


class ShareSketch:
    """Forbidden shares (in [0, 1]) as counts in ``BINS`` equal bins: fixed memory, and two sketches merge by
    adding counts (the Beam pipeline combines per-worker sketches; a per-document array would be 400 MB at 10^8
    documents). Percentiles are numpy's linear-interpolation percentiles of the values moved to their bin's
    centre, so each is within ``ERROR`` of the exact one; the mean is exact (a running sum)."""

    BINS = 10_000
    ERROR = 0.5 / BINS

    def __init__(self):
        self.counts = np.zeros(self.BINS, dtype=np.int64)
        self.count = 0
        self.total = 0.0

    def add(self, share: float) -> None:
        self.count += 1
        self.total += share
        if share == share:  # a NaN share (a model that returned NaN saliency) makes the mean NaN, as it should,
            self.counts[min(max(int(share * self.BINS), 0), self.BINS - 1)] += 1  # and stays out of the bins

    def merge(self, other: ShareSketch) -> None:
        self.counts += other.counts
        self.count += other.count
        self.total += other.total

    def _value_at(self, rank, cumulative):
        return (int(np.searchsorted(cumulative, rank, side="right")) + 0.5) / self.BINS

    def percentiles(self, qs: Sequence[float]) -> list[float]:
        cumulative = np.cumsum(self.counts)
        binned = int(cumulative[-1])
        if not binned:
            return [float("nan")] * len(qs)
        values = []
        for q in qs:
            position = q / 100 * (binned - 1)
            low = int(np.floor(position))
            below, above = self._value_at(low, cumulative), self._value_at(min(low + 1, binned - 1), cumulative)
            values.append(below + (position - low) * (above - below))
        return values

    def histogram(self, bins: int) -> np.ndarray:
        """Counts in ``bins`` equal bins of [0, 1] (BINS is a multiple of every bins used here)."""
        return self.counts.reshape(bins, self.BINS // bins).sum(axis=1)


class SummaryBuilder:
    """Accumulates AuditRecords in O(terms + classes) memory; two builders merge (``merge``), so the Beam
    pipeline combines per-worker builders into the same summary. The evaluations (audit_engine.evaluations)
    accumulate their own parts from the same records."""

    def __init__(self, evaluations=(), attribution="gradient", class_names=None, confidence=DEFAULT_CONFIDENCE):
        self.evaluations = list(evaluations)
        self.confidence = confidence
        self.share_means = MeanSketch()  # the bootstrap of the mean share (statistics.MeanSketch)
        self.attribution = attribution
        self.class_names = None if class_names is None else set(class_names)
        self.labels_outside = self.rationale_missing = 0
        self.documents = self.scored = self.skipped = self.flagged = self.truncated = self.windowed = 0
        self.with_terms = 0
        self.labelled = self.correct = 0
        self.completeness_gap_sum = 0.0
        self.shares = ShareSketch()  # forbidden_share of documents containing a forbidden term
        self.terms = {}  # term -> [documents, occurrences, saliency_mass, share_sum]
        self.classes = {}  # label -> [documents, with_terms, flagged, share_sum]

    def add(self, record: audit_pb2.AuditRecord) -> None:
        self.documents += 1
        if record.status != audit_pb2.RECORD_STATUS_SCORED:
            self.skipped += 1
            return
        self.scored += 1
        self.flagged += record.flagged
        self.truncated += record.truncated
        self.windowed += record.HasField("windows")
        self.completeness_gap_sum += abs(record.completeness_gap)
        self.rationale_missing += record.rationale_missing
        if record.true_label:
            # Accuracy only where the label space is the model's: other labels would count as errors.
            if self.class_names is None or record.true_label in self.class_names:
                self.labelled += 1
                self.correct += record.true_label == record.predicted_label
            else:
                self.labels_outside += 1
        for evaluation in self.evaluations:
            evaluation.add(record)
        has_terms = len(record.forbidden_terms) > 0
        cls = self.classes.setdefault(record.predicted_label, [0, 0, 0, 0.0])
        cls[0] += 1
        cls[2] += record.flagged
        cls[3] += record.forbidden_share
        if not has_terms:
            return
        self.with_terms += 1
        cls[1] += 1
        self.shares.add(record.forbidden_share)
        if record.forbidden_share == record.forbidden_share:  # not NaN
            self.share_means.add(bootstrap_weights(record.id), record.forbidden_share)
        seen = set()
        for hit in record.forbidden_terms:
            stats = self.terms.setdefault(hit.term, [0, 0, 0.0, 0.0])
            if hit.term not in seen:
                stats[0] += 1
                seen.add(hit.term)
            stats[1] += 1
            stats[2] += hit.saliency
            stats[3] += hit.saliency / record.saliency_mass if record.saliency_mass > 0 else 0.0

    def merge(self, other: SummaryBuilder) -> SummaryBuilder:
        """Add another builder's counts (same options) to this one."""
        for name in (
            "labels_outside",
            "rationale_missing",
            "documents",
            "scored",
            "skipped",
            "flagged",
            "truncated",
            "windowed",
            "with_terms",
            "labelled",
            "correct",
            "completeness_gap_sum",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.shares.merge(other.shares)
        self.share_means.merge(other.share_means)
        for table, other_table in ((self.terms, other.terms), (self.classes, other.classes)):
            for key, values in other_table.items():
                mine = table.setdefault(key, [0] * len(values))
                for i, value in enumerate(values):
                    mine[i] += value
        for evaluation, other_evaluation in zip(self.evaluations, other.evaluations):
            evaluation.merge(other_evaluation)
        return self

    def build(self, summary: audit_pb2.AuditSummary) -> audit_pb2.AuditSummary:
        """Fill the counting fields of an AuditSummary (the caller sets model, input and timing fields)."""
        summary.evaluations[:] = [evaluation.name for evaluation in self.evaluations]
        summary.documents = self.documents
        summary.scored = self.scored
        summary.skipped = self.skipped
        summary.with_forbidden_terms = self.with_terms
        summary.flagged = self.flagged
        summary.flagged_fraction = self.flagged / self.scored if self.scored else 0.0
        summary.truncated = self.truncated
        summary.windowed = self.windowed
        summary.labelled = self.labelled
        summary.accuracy = self.correct / self.labelled if self.labelled else 0.0
        summary.confidence = self.confidence
        fill(summary.flagged_fraction_interval, wilson(self.flagged, self.scored, self.confidence))
        if self.labelled:
            fill(summary.accuracy_interval, wilson(self.correct, self.labelled, self.confidence))
        summary.labels_outside_model_classes = self.labels_outside
        summary.rationale_missing_documents = self.rationale_missing
        summary.attribution = self.attribution
        if self.attribution == "integrated-gradients" and self.scored:
            summary.mean_abs_completeness_gap = self.completeness_gap_sum / self.scored
        for evaluation in self.evaluations:
            evaluation.summarise(summary)
        distribution = summary.share_distribution
        distribution.documents = self.shares.count
        if self.shares.count:
            distribution.mean = self.shares.total / self.shares.count
            distribution.median, distribution.p90, distribution.p99 = self.shares.percentiles([50, 90, 99])
            fill(summary.mean_share_interval, self.share_means.interval(self.confidence))
        distribution.histogram[:] = self.shares.histogram(HISTOGRAM_BINS).tolist()
        for term, (documents, occurrences, mass, share_sum) in sorted(
            self.terms.items(), key=lambda item: (-item[1][2], item[0])
        ):
            summary.terms.add(
                term=term,
                documents=documents,
                occurrences=occurrences,
                saliency_mass=mass,
                mean_share=share_sum / occurrences,
            )
        for label, (documents, with_terms, flagged, share_sum) in sorted(self.classes.items()):
            item = summary.classes.add(
                label=label,
                documents=documents,
                with_forbidden_terms=with_terms,
                flagged=flagged,
                mean_forbidden_share=share_sum / documents,
            )
            fill(item.flagged_fraction_interval, wilson(flagged, documents, self.confidence))
        summary.saliency_underreports_reliance = self.attribution != NO_ATTRIBUTION and saliency_underreports_reliance(
            summary
        )
        return summary


# Reliance worth a reader's attention even when no gate is set.
ATTENTION_FLIP_FRACTION = 0.05
ATTENTION_MEAN_DROP = 0.05


def reliance_found(summary: audit_pb2.AuditSummary) -> bool:
    """Reliance that holds up: the lower end of the decisive flip fraction's interval or of the mean drop's reaches
    the attention level, and, with the deletion control, the excess over it is above 0 (interval)."""
    if not summary.reliance_documents:
        return False
    notable = (
        summary.reliance_decisive_flip_fraction_interval.low >= ATTENTION_FLIP_FRACTION
        or summary.mean_reliance_drop_interval.low >= ATTENTION_MEAN_DROP
    )
    specific = not summary.control_documents or (
        summary.excess_flip_fraction.interval.low > 0 or summary.excess_mean_drop.interval.low > 0
    )
    return notable and specific


def saliency_underreports_reliance(summary: audit_pb2.AuditSummary) -> bool:
    """Removal shows notable reliance while the forbidden terms get under half as large a share of the
    attribution mass as the larger of the flip fraction and the mean drop."""
    if not reliance_found(summary):
        return False
    reliance = max(summary.reliance_flip_fraction, summary.mean_reliance_drop)
    return summary.share_distribution.mean < reliance / 2


def reliance_sentence(summary: audit_pb2.AuditSummary) -> str:
    """The reliance finding in one sentence, with its intervals and the deletion control, or '' when the
    reliance check did not run or found no forbidden term."""
    if not summary.reliance_documents:
        return ""
    c = summary.confidence or DEFAULT_CONFIDENCE
    sentence = (
        f"removing the forbidden words changes {summary.reliance_flip_fraction * 100:.1f} % of predictions "
        f"({ci(summary.reliance_flip_fraction_interval, c)}; {summary.reliance_flipped} of "
        f"{count(summary.reliance_documents, 'document')} with a forbidden word, "
        f"{summary.reliance_decisive_flipped} by more than {percent(summary.flip_margin)} points); mean drop of "
        f"p(predicted) {percent(summary.mean_reliance_drop)} points "
        f"({ci(summary.mean_reliance_drop_interval, c, 'points')})"
    )
    if summary.control_documents:
        sentence += (
            f"; removing as many other words changes {summary.control_flip_fraction.value * 100:.1f} % "
            f"(excess {summary.excess_flip_fraction.value * 100:+.1f} points, "
            f"{ci(summary.excess_flip_fraction.interval, c, 'points', signed=True)}; "
            f"McNemar p = {summary.excess_flip_p_value:.2g})"
        )
    return sentence


def set_verdict(summary: audit_pb2.AuditSummary) -> None:
    """FAIL when a gate's interval lies beyond its limit; INCONCLUSIVE when none failed and one's interval holds its
    limit; PASS when gates were set and every interval lies within; else ATTENTION when reliance holds up
    (reliance_found), OK when not. The reason is the single most important finding."""
    failed = [gate for gate in summary.gates if gate.outcome == "fail"]
    unsure = [gate for gate in summary.gates if gate.outcome == "inconclusive"]
    finding = reliance_sentence(summary)
    c = summary.confidence or DEFAULT_CONFIDENCE

    def gate_ci(gate: audit_pb2.GateResult) -> str:
        return ci(gate.interval, c, "points" if gate.name in MEAN_GATES else "%")

    if failed:
        gate = failed[0]
        # A gate judged on its value alone (no documents behind an interval) has no interval to show.
        summary.verdict = "FAIL"
        summary.verdict_reason = f"{gate.description} (observed {gate.observed:.4g}" + (
            f", {gate_ci(gate)})" if gate.HasField("interval") else ")"
        )
    elif unsure:
        gate = unsure[0]
        summary.verdict = "INCONCLUSIVE"
        summary.verdict_reason = (
            f"{gate.description}: observed {gate.observed:.4g}, but the {gate_ci(gate)} holds the limit"
            + (f"; about {gate.documents_to_decide:,} documents would decide it" if gate.documents_to_decide else "")
        )
    elif summary.gates:
        summary.verdict = "PASS"
        summary.verdict_reason = finding or "every gate passed"
    elif reliance_found(summary):
        summary.verdict = "ATTENTION"
        summary.verdict_reason = finding
    else:
        summary.verdict = "OK"
        if finding:
            summary.verdict_reason = finding
        elif not summary.lexicon_terms:
            summary.verdict_reason = "no forbidden lexicon was given, so no reliance on listed words was judged"
        elif not summary.with_forbidden_terms:
            summary.verdict_reason = "no document holds a forbidden word"
        else:
            summary.verdict_reason = "no reliance check ran (--no-reliance)"


# The saliency share's own gates; the evaluations declare theirs (evaluations.base.Gate).
SHARE_GATES = (
    Gate(
        "fail_above",
        "mean forbidden share over documents with a forbidden term",
        "Gate: fail (exit 1) when the mean forbidden share of documents with a forbidden term exceeds this "
        "(0.1 = 10 %).",
        lambda s: s.share_distribution.mean,
        interval_of("mean_share_interval"),
        lambda s: s.share_distribution.documents,
        rate=False,
    ),
    Gate(
        "max_flagged_fraction",
        "fraction of scored documents flagged",
        "Gate: fail (exit 1) when more than this fraction of scored documents is flagged (0.05 = 5 %).",
        lambda s: s.flagged_fraction,
        interval_of("flagged_fraction_interval"),
        lambda s: s.scored,
    ),
)
GATES = {gate.name: gate for gate in (*evaluation_gates(), *SHARE_GATES)}
MEAN_GATES = {gate.name for gate in GATES.values() if not gate.rate}


def judge_gate(gate: Gate, summary: audit_pb2.AuditSummary, limit: float) -> tuple[float, str, Interval | None, int]:
    """(observed, outcome, interval, documents to decide): "pass" when the figure's interval lies within the limit,
    "fail" when it lies beyond, "inconclusive" when it holds the limit; a figure without an interval is judged on
    its value. Documents to decide: about how many would separate the interval from the limit (0: decided)."""
    observed = gate.observe(summary)
    field = gate.interval(summary) if gate.interval is not None else None
    documents = gate.documents(summary) if gate.documents is not None else 0
    if field is None or not documents:
        return observed, ("pass" if observed <= limit else "fail"), None, 0
    interval = Interval(field.low, field.high)
    if interval.high <= limit:
        return observed, "pass", interval, 0
    if interval.low > limit:
        return observed, "fail", interval, 0
    if gate.rate:
        needed = documents_to_decide(observed, limit, summary.confidence or DEFAULT_CONFIDENCE)
    else:
        distance = abs(observed - limit)
        half = (interval.high - interval.low) / 2
        needed = math.ceil(documents * (half / distance) ** 2) if distance > 1e-12 else 0
    return observed, "inconclusive", interval, needed


def apply_gates(summary: audit_pb2.AuditSummary, limits: dict[str, float | None], inconclusive: str = "fail") -> bool:
    """limits: {gate name: limit or None}. Adds GateResults; returns True when all pass. ``inconclusive``: what an
    inconclusive gate counts as ("fail": fail closed, as a CI gate should; "pass")."""
    passed = True
    for name, limit in limits.items():
        if limit is None:
            continue
        gate = GATES[name]
        observed, outcome, interval, needed = judge_gate(gate, summary, limit)
        ok = outcome == "pass" or (outcome == "inconclusive" and inconclusive == "pass")
        passed &= ok
        result = summary.gates.add(
            name=name,
            limit=limit,
            observed=observed,
            passed=ok,
            description=f"{gate.description} must be <= {limit:g}",
            outcome=outcome,
            documents_to_decide=needed,
        )
        if interval is not None:
            fill(result.interval, interval)
        summary.inconclusive_gates += outcome == "inconclusive"
    set_verdict(summary)
    return passed
