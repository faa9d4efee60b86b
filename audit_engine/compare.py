"""Side-by-side comparison of two audits (a baseline and a candidate), with change thresholds.

One comparison model (rows of metric, baseline, candidate, delta, better direction) is rendered to both
compare.md and compare.html. Change thresholds bless or reject a candidate against a baseline, as TFMA's
change thresholds do: ``--max-increase flip_fraction=0.01`` fails (exit 1) when the candidate's flip fraction
exceeds the baseline's by more than 0.01.
"""

import dataclasses
import json
import os
from collections.abc import Sequence

from audit_engine import outputs
from audit_engine.evaluations import CompareMetric, evaluation_compare_metrics
from audit_engine.evaluations.base import interval_of
from audit_engine.formatting import md
from audit_engine.html_render import STYLE, esc
from audit_engine.paired import Change, paired_changes, record_share, rescaled, unpaired_change
from audit_engine.statistics import DEFAULT_CONFIDENCE
from protos import audit_pb2
from saliency_core.errors import InputError


def _metadata(summary):
    try:
        return json.loads(summary.model_metadata_json or "{}")
    except ValueError:
        return {}


# The settings two audits are compared on: label -> what of a summary says it. A figure is compared only when the
# settings it requires (CompareMetric.requires) are the same in both audits; every difference is listed first.
SETTINGS = {
    "corpus": lambda s: s.input_sha256,
    "lexicon": lambda s: s.lexicon_sha256,
    "attribution": lambda s: s.attribution,
    "threshold": lambda s: f"{s.threshold:g}",
    "label space": lambda s: f"{s.label_space or 'labels as they are'}; classes {_metadata(s).get('class_names')}",
    "evaluations": lambda s: (", ".join(s.evaluations) or "none") if s.record_schema_version else "not recorded",
    "windows": lambda s: f"stride {s.window_stride}, cap {s.max_document_tokens}" if s.window_stride else "off",
    "model contract": lambda s: str(_metadata(s).get("contract_version")),
}

# The evaluations' metrics, then the saliency share's and accuracy.
METRICS = {
    metric.name: metric
    for metric in (
        *evaluation_compare_metrics(),
        CompareMetric(
            "mean_share",
            "mean forbidden share of the saliency",
            lambda s: s.share_distribution.mean,
            # Neither direction is better: a falling share can hide reliance (the input-gradient penalty drives it
            # to ~0 while the model still decides by the words), and a model freed of reliance may show a higher one.
            0,
            lambda s: s.share_distribution.documents > 0,
            requires=("lexicon", "attribution"),
            interval=interval_of("mean_share_interval"),
            per_record=record_share,
        ),
        CompareMetric(
            "flagged_fraction",
            "flagged fraction",
            lambda s: s.flagged_fraction,
            -1,
            lambda s: s.scored > 0,
            requires=("lexicon", "attribution", "threshold"),
            interval=interval_of("flagged_fraction_interval"),
            per_record=lambda r: float(bool(r.get("flagged"))) if r.get("status") == "RECORD_STATUS_SCORED" else None,
            binary=True,
        ),
        CompareMetric(
            "accuracy",
            "accuracy",
            lambda s: s.accuracy,
            +1,
            lambda s: s.labelled > 0,
            requires=("label space",),
            interval=interval_of("accuracy_interval"),
        ),
    )
}


@dataclasses.dataclass
class ComparisonRow:
    name: str
    label: str
    baseline: float
    candidate: float
    better: int  # -1: lower is better, +1: higher is better, 0: neither
    unit: str = "%"  # '%' of documents or 'points' of probability: how both values and the change read
    not_comparable: str = ""  # why the two values cannot be compared ('' when they can)
    change_with_interval: Change | None = None  # the change's interval (paired or unpaired), when both had one

    @property
    def delta(self) -> float:
        return self.candidate - self.baseline

    @property
    def verdict(self) -> str:
        if self.not_comparable:
            return "not comparable"
        if abs(self.delta) < 1e-12:
            return "same"
        interval = self.change_with_interval.interval if self.change_with_interval else None
        if interval is not None and interval.low <= 0 <= interval.high:
            return "no significant change"
        if not self.better:
            return "changed"
        return "better" if self.delta * self.better > 0 else "worse"

    @property
    def direction(self) -> str:
        return {-1: "lower is better", 1: "higher is better", 0: "no better direction"}[self.better]

    def value(self, fraction: float) -> str:
        return f"{fraction * 100:.1f} {self.unit}" if self.unit == "points" else f"{fraction * 100:.1f} %"

    def shown(self, side: str) -> str:
        """The ``side``'s value ('baseline' or 'candidate') as a reader sees it: no number where it was not
        measured."""
        if self.not_comparable.startswith("not measured") and side in self.not_comparable:
            return "not measured"
        return self.value(self.baseline if side == "baseline" else self.candidate)

    @property
    def change(self) -> str:
        """The change in points (of a percentage or of a probability)."""
        if self.not_comparable:
            return self.not_comparable
        text = f"{self.delta * 100:+.1f} points"
        change = self.change_with_interval
        if change is not None:
            text += f" ({change.interval.low * 100:+.1f} to {change.interval.high * 100:+.1f}"
            text += f"; paired over {change.documents:,} documents" if change.documents else "; unpaired"
            text += f", McNemar p = {change.p_value:.2g})" if change.p_value is not None else ")"
        return text


@dataclasses.dataclass
class Comparison:
    baseline_title: str
    candidate_title: str
    rows: list[ComparisonRow]
    warnings: list[str]
    threshold_results: list[tuple[str, bool]]  # (description, passed)
    verdicts: tuple[str, str] = ("", "")  # each audit's own verdict
    term_rows: list[ComparisonRow] = dataclasses.field(
        default_factory=list
    )  # per-term reliance, terms measured in both

    @property
    def passed(self) -> bool:
        return all(passed for _, passed in self.threshold_results)


def load_summary(folder: str) -> audit_pb2.AuditSummary:
    """The complete AuditSummary of an audit folder; InputError (one line) otherwise."""
    if not os.path.isfile(os.path.join(folder, outputs.SUMMARY_JSON)):
        why = (
            " (the run did not finish: see INCOMPLETE)"
            if os.path.exists(os.path.join(folder, outputs.INCOMPLETE))
            else ""
        )
        raise InputError(f"no {outputs.SUMMARY_JSON}{why}", folder)
    try:
        summary = outputs.read_summary(folder)
    except Exception as error:  # json_format.ParseError and json errors: one line, no traceback
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"{outputs.SUMMARY_JSON} is not an audit summary: {message}", folder) from None
    if not summary.complete:
        raise InputError(f"{outputs.SUMMARY_JSON} is not a complete audit summary", folder)
    return summary


def title_of(summary: audit_pb2.AuditSummary, folder: str) -> str:
    return (
        f"{summary.model_name} v{summary.model_version}"
        if summary.model_name
        else os.path.basename(os.path.normpath(folder))
    )


def build_comparison(
    baseline_folder: str,
    candidate_folder: str,
    max_increase: Sequence[tuple[str, float]] = (),
    max_decrease: Sequence[tuple[str, float]] = (),
    confidence: float | None = None,
) -> Comparison:
    """max_increase / max_decrease: (metric name, allowed change) pairs; names from METRICS. ``confidence``: of the
    changes' intervals (default: the candidate's; given, unpaired changes rescale the audits' own: paired.rescaled)."""
    a, b = load_summary(baseline_folder), load_summary(candidate_folder)
    titles = [title_of(a, baseline_folder), title_of(b, candidate_folder)]
    if titles[0] == titles[1]:
        titles = [f"{titles[0]} ({os.path.basename(os.path.normpath(f))})" for f in (baseline_folder, candidate_folder)]
    differing = [name for name, read in SETTINGS.items() if read(a) != read(b)]

    def unshared(metric: CompareMetric) -> str:
        """Why the audits' settings or measurements keep ``metric`` from being compared ('' when they do not)."""
        missing = [side for side, summary in (("baseline", a), ("candidate", b)) if not metric.measured(summary)]
        if missing:
            return f"not measured by the {' and the '.join(missing)}"
        different = [name for name in metric.requires if name in differing]
        return f"the audits' {', '.join(different)} differ" if different else ""

    paired = bool(a.input_sha256) and a.input_sha256 == b.input_sha256
    level, confidence = confidence, confidence or b.confidence or a.confidence or DEFAULT_CONFIDENCE
    shown = [m for m in METRICS.values() if m.measured(a) or m.measured(b)]
    changes, record_means = (
        paired_changes(baseline_folder, candidate_folder, [m for m in shown if not unshared(m)], confidence)
        if paired
        else ({}, {})
    )
    # A summary must say what its own records say: a figure whose summary disagrees is not compared (an edited
    # summary.json cannot pass a gate).
    mismatched = {
        name: [
            side
            for side, summary, mean in (("baseline", a, means[0]), ("candidate", b, means[1]))
            if mean is not None and abs(METRICS[name].read(summary) - mean) > 1e-6
        ]
        for name, means in record_means.items()
    }

    def not_comparable(metric: CompareMetric) -> str:
        if mismatched.get(metric.name):
            sides = " and the ".join(mismatched[metric.name])
            return f"the {sides}'s summary.json does not match its records"
        return unshared(metric)

    def change_of(metric: CompareMetric) -> Change | None:
        if metric.name in changes:
            return changes[metric.name]
        intervals = [metric.interval(s) if metric.interval else None for s in (a, b)]
        if None in intervals:
            return None
        if level is not None:
            intervals = [
                rescaled(metric.read(s), i, s.confidence or DEFAULT_CONFIDENCE, level)
                for s, i in zip((a, b), intervals)
            ]
        return unpaired_change(metric.read(a), intervals[0], metric.read(b), intervals[1])

    rows = []
    for m in shown:
        reason = not_comparable(m)
        rows.append(
            ComparisonRow(
                m.name, m.label, m.read(a), m.read(b), m.better, m.unit, reason, None if reason else change_of(m)
            )
        )
    terms = {t.term: t for t in a.term_reliance}
    term_rows = [
        ComparisonRow(
            f"term:{t.term}",
            f"{t.term}: predictions that change without it",
            terms[t.term].flip_fraction,
            t.flip_fraction,
            -1,
        )
        for t in b.term_reliance
        if t.term in terms
    ]
    warnings = [
        f"Settings differ: {name}: {SETTINGS[name](a)} (baseline) vs {SETTINGS[name](b)} (candidate)"
        for name in differing
    ]
    if paired and not record_means:
        warnings.append(
            "The audits read the same corpus, but their records are missing: compared unpaired, on the summaries "
            "alone, which nothing checks against records"
        )
    if not paired:
        warnings.append(
            "Different corpora: changes are compared unpaired, from each audit's own interval (an audit of the "
            "same corpus is compared document by document, with narrower intervals)"
        )
    by_name = {row.name: row for row in rows}
    results = []
    for limits, sign, word in ((max_increase, 1, "increase"), (max_decrease, -1, "decrease")):
        for name, allowed in limits:
            if name not in METRICS:
                raise InputError(f"--max-{word} {name}: no such metric; available: {sorted(METRICS)}")
            row = by_name.get(name)
            reason = row.not_comparable if row is not None else "not measured by either audit"
            if row is None or reason:  # a limit on a figure that cannot be compared fails; never passes on a 0
                results.append((f"{name} may {word} by at most {allowed:g}: cannot be judged ({reason})", False))
                continue
            change = sign * row.delta
            judged = f"{name} may {word} by at most {allowed:g}: changed by {sign * change:+.4f}"
            if row.change_with_interval is None:
                results.append((judged, change <= allowed))
                continue
            interval = row.change_with_interval.interval
            low, high = (interval.low, interval.high) if sign > 0 else (-interval.high, -interval.low)
            span = f" ({confidence * 100:g} % CI of the {word} {low:+.4f} to {high:+.4f})"
            if low <= allowed < high:  # inconclusive fails closed, as a CI gate should
                results.append((judged + span + ": INCONCLUSIVE, the interval holds the limit", False))
            else:
                results.append((judged + span, high <= allowed))
    return Comparison(titles[0], titles[1], rows, warnings, results, (a.verdict, b.verdict), term_rows)


def _markdown_rows(c, rows):
    return [
        f"| {md(row.label)} | {row.shown('baseline')} | {row.shown('candidate')} | {md(row.change)} | "
        f"{row.verdict} ({row.direction}) |"
        for row in rows
    ]


def markdown(comparison: Comparison) -> str:
    c = comparison
    lines = [
        "# Audit comparison",
        "",
        f"Baseline: **{md(c.baseline_title)}**; candidate: **{md(c.candidate_title)}**",
        "",
    ]
    lines += [f"> {md(w)}" for w in c.warnings] + ([""] if c.warnings else [])
    if c.threshold_results:
        lines += [
            f"**{'PASS' if c.passed else 'FAIL'}**: "
            + "; ".join(f"{md(text)} ({'pass' if ok else 'FAIL'})" for text, ok in c.threshold_results),
            "",
        ]
    lines += [f"Verdicts: baseline **{md(c.verdicts[0])}**, candidate **{md(c.verdicts[1])}**", ""]
    header = f"| metric | {md(c.baseline_title)} | {md(c.candidate_title)} | change | |"
    lines += [header, "|---|---|---|---|---|", *_markdown_rows(c, c.rows)]
    if c.term_rows:
        lines += [
            "",
            "Per term (terms measured in both audits):",
            "",
            header,
            "|---|---|---|---|---|",
            *_markdown_rows(c, c.term_rows),
        ]
    return "\n".join(lines) + "\n"


def html(comparison: Comparison) -> str:
    c = comparison
    colour = {
        "better": "pass",
        "worse": "fail",
        "same": "muted",
        "changed": "muted",
        "no significant change": "muted",
        "not comparable": "fail",
    }

    def table(rows: list[ComparisonRow]) -> str:
        cells = "".join(
            f"<tr><td class='l'>{esc(row.label)}</td><td>{esc(row.shown('baseline'))}</td>"
            f"<td>{esc(row.shown('candidate'))}</td><td>{esc(row.change)}</td>"
            f"<td class='l {colour[row.verdict]}'>{row.verdict} ({row.direction})</td></tr>"
            for row in rows
        )
        return (
            f"<table><tr><th class='l'>metric</th><th>{esc(c.baseline_title)}</th>"
            f"<th>{esc(c.candidate_title)}</th><th>change</th><th class='l'></th></tr>{cells}</table>"
        )

    banner = ""
    if c.threshold_results:
        verdict = "PASS" if c.passed else "FAIL"
        banner = (
            f"<div class='verdict v-{verdict}'><b>{verdict}</b> — "
            + "; ".join(esc(f"{text} ({'pass' if ok else 'FAIL'})") for text, ok in c.threshold_results)
            + "</div>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Audit comparison</title>"
        f"<style>{STYLE}</style></head><body><h1>Audit comparison</h1>"
        f"<p>Baseline: <b>{esc(c.baseline_title)}</b>; candidate: <b>{esc(c.candidate_title)}</b></p>{banner}"
        + "".join(f"<p class='note'>{esc(w)}</p>" for w in c.warnings)
        + f"<p>Verdicts: baseline <b>{esc(c.verdicts[0])}</b>, candidate <b>{esc(c.verdicts[1])}</b></p>"
        + table(c.rows)
        + ("<h2>Per term (terms measured in both audits)</h2>" + table(c.term_rows) if c.term_rows else "")
        + "</body></html>"
    )


def compare(
    baseline_folder: str,
    candidate_folder: str,
    out_dir: str,
    max_increase: Sequence[tuple[str, float]] = (),
    max_decrease: Sequence[tuple[str, float]] = (),
) -> Comparison:
    """Write compare.md and compare.html into out_dir; returns the Comparison."""
    comparison = build_comparison(baseline_folder, candidate_folder, max_increase, max_decrease)
    os.makedirs(out_dir, exist_ok=True)
    outputs.write_atomic(os.path.join(out_dir, "compare.md"), markdown(comparison))
    outputs.write_atomic(os.path.join(out_dir, "compare.html"), html(comparison))
    return comparison
