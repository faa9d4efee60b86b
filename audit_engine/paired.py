"""How a figure changed between two audits, with an interval: paired, document by document, when both audited the
same corpus; else unpaired, from each audit's own interval.

- Paired: for a figure a record carries (CompareMetric.per_record), the mean over documents measured in both of
  (candidate - baseline), with the Poisson bootstrap of audit_engine.statistics (weights from each document's id);
  for a 0/1 figure (a flip) also the exact McNemar test of the discordant documents.
- Unpaired: the MOVER interval of a difference (Newcombe's method 10 for two rates with Wilson intervals, and
  the same construction for two means with their bootstrap intervals): the change minus / plus the square root
  of the squared distances from each estimate to the ends of its interval.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

from audit_engine import outputs
from audit_engine.evaluations.base import CompareMetric
from audit_engine.statistics import (
    DEFAULT_CONFIDENCE,
    Interval,
    MeanSketch,
    bootstrap_weights,
    mcnemar_exact,
    z_value,
)


def record_share(record: dict[str, Any]) -> float | None:
    """A record's forbidden share, for documents with a forbidden term (None otherwise, and for a NaN share)."""
    if record.get("status") != "RECORD_STATUS_SCORED" or not record.get("forbidden_terms"):
        return None
    share = float(record.get("forbidden_share", 0.0))
    return share if math.isfinite(share) else None


@dataclasses.dataclass(frozen=True)
class Change:
    value: float  # candidate - baseline
    interval: Interval
    documents: int = 0  # documents measured in both (paired); 0 when unpaired
    p_value: float | None = None  # exact McNemar, for a 0/1 figure compared paired


def record_files(folder: str) -> list[str]:
    """An audit's records: records.jsonl, or audit-beam's shards in order."""
    single = os.path.join(folder, outputs.RECORDS_JSONL)
    if os.path.isfile(single):
        return [single]
    return sorted(glob.glob(os.path.join(folder, outputs.SHARDED_RECORDS + ".jsonl")))


def _values(paths: Sequence[str], metrics: Sequence[CompareMetric]) -> Iterator[tuple[str, list[float | None]]]:
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                yield str(record.get("id", "")), [m.per_record(record) for m in metrics]  # type: ignore[misc]


class _Means:
    """Each metric's mean over the records of one audit that measured it."""

    def __init__(self, size: int) -> None:
        self.sums, self.counts = [0.0] * size, [0] * size

    def add(self, values: Sequence[float | None]) -> None:
        for i, value in enumerate(values):
            if value is not None:
                self.sums[i] += value
                self.counts[i] += 1

    def of(self, i: int) -> float | None:
        return self.sums[i] / self.counts[i] if self.counts[i] else None


def paired_changes(
    baseline_folder: str,
    candidate_folder: str,
    metrics: Sequence[CompareMetric],
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[dict[str, Change], dict[str, tuple[float | None, float | None]]]:
    """({metric name: Change} over the documents both audits measured, {metric name: (the baseline's, the
    candidate's) mean over its own records}) for metrics with a per-record value: the record means are what each
    summary must say. ({}, {}) when either audit left no records."""
    metrics = [m for m in metrics if m.per_record is not None]
    baseline_paths, candidate_paths = record_files(baseline_folder), record_files(candidate_folder)
    if not metrics or not baseline_paths or not candidate_paths:
        return {}, {}
    baseline_means, candidate_means = _Means(len(metrics)), _Means(len(metrics))
    baseline = {}
    for key, values in _values(baseline_paths, metrics):
        baseline[key] = values
        baseline_means.add(values)
    sketches = [MeanSketch() for _ in metrics]
    sums = [0.0] * len(metrics)
    counts = [0] * len(metrics)
    discordant = [[0, 0] for _ in metrics]  # (baseline only, candidate only) of 0/1 figures
    for key, values in _values(candidate_paths, metrics):
        candidate_means.add(values)
        before = baseline.get(key)
        if before is None:
            continue
        weights = None
        for i, (old, new) in enumerate(zip(before, values)):
            if old is None or new is None:
                continue
            weights = bootstrap_weights(key) if weights is None else weights
            sketches[i].add(weights, new - old)
            sums[i] += new - old
            counts[i] += 1
            discordant[i][0] += old > new
            discordant[i][1] += new > old
    changes = {
        metric.name: Change(
            sums[i] / counts[i],
            sketches[i].interval(confidence),
            counts[i],
            mcnemar_exact(*discordant[i]) if metric.binary else None,
        )
        for i, metric in enumerate(metrics)
        if counts[i]
    }
    means = {metric.name: (baseline_means.of(i), candidate_means.of(i)) for i, metric in enumerate(metrics)}
    return changes, means


def unpaired_change(baseline: float, baseline_interval: Any, candidate: float, candidate_interval: Any) -> Change:
    """candidate - baseline with its MOVER interval (module docstring)."""
    value = candidate - baseline
    below = math.hypot(candidate - candidate_interval.low, baseline_interval.high - baseline)
    above = math.hypot(candidate_interval.high - candidate, baseline - baseline_interval.low)
    return Change(value, Interval(value - below, value + above))


def rescaled(value: float, interval: Any, confidence: float, wanted: float) -> Interval:
    """An estimate's interval at ``confidence`` stretched to ``wanted`` by the ratio of the normal quantiles (exact
    for a normal interval, close for Wilson and bootstrap intervals away from 0 and 1): a summary keeps only its
    own level, and an unpaired change at another level needs its audits' intervals at that level."""
    factor = z_value(wanted) / z_value(confidence)
    return Interval(value - (value - interval.low) * factor, value + (interval.high - value) * factor)
