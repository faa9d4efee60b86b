"""Side-by-side comparison of two audits (a baseline and a candidate), with change thresholds.

One comparison model (rows of metric, baseline, candidate, delta, better direction) is rendered to both
compare.md and compare.html. Change thresholds bless or reject a candidate against a baseline, as TFMA's
change thresholds do: ``--max-increase flip_fraction=0.01`` fails (exit 1) when the candidate's flip fraction
exceeds the baseline's by more than 0.01.
"""

import dataclasses
import os

from audit_engine import outputs
from audit_engine.evaluations import CompareMetric, evaluation_compare_metrics
from audit_engine.report import STYLE, esc
from saliency_core.errors import InputError

# The evaluations' metrics, then the saliency share's and accuracy.
METRICS = {
    metric.name: metric
    for metric in (
        *evaluation_compare_metrics(),
        CompareMetric(
            "mean_share",
            "mean forbidden share of the saliency",
            lambda s: s.share_distribution.mean,
            -1,
            lambda s: True,
        ),
        CompareMetric("flagged_fraction", "flagged fraction", lambda s: s.flagged_fraction, -1, lambda s: True),
        CompareMetric("accuracy", "accuracy", lambda s: s.accuracy, +1, lambda s: s.labelled > 0),
    )
}


@dataclasses.dataclass
class ComparisonRow:
    name: str
    label: str
    baseline: float
    candidate: float
    better: int  # -1: lower is better, +1: higher is better

    @property
    def delta(self):
        return self.candidate - self.baseline

    @property
    def verdict(self):
        if abs(self.delta) < 1e-12:
            return "same"
        return "better" if self.delta * self.better > 0 else "worse"


@dataclasses.dataclass
class Comparison:
    baseline_title: str
    candidate_title: str
    rows: list
    warnings: list
    threshold_results: list  # (description, passed)

    @property
    def passed(self):
        return all(passed for _, passed in self.threshold_results)


def _load(folder):
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


def _title(summary, folder):
    return (
        f"{summary.model_name} v{summary.model_version}"
        if summary.model_name
        else os.path.basename(os.path.normpath(folder))
    )


def build_comparison(baseline_folder, candidate_folder, max_increase=(), max_decrease=()):
    """max_increase / max_decrease: (metric name, allowed change) pairs; names from METRICS."""
    a, b = _load(baseline_folder), _load(candidate_folder)
    titles = [_title(a, baseline_folder), _title(b, candidate_folder)]
    if titles[0] == titles[1]:
        titles = [f"{titles[0]} ({os.path.basename(os.path.normpath(f))})" for f in (baseline_folder, candidate_folder)]
    rows = [
        ComparisonRow(m.name, m.label, m.read(a), m.read(b), m.better)
        for m in METRICS.values()
        if m.measured(a) or m.measured(b)
    ]
    warnings = []
    if a.input_sha256 != b.input_sha256:
        warnings.append("The two audits read different input files.")
    if a.lexicon_sha256 != b.lexicon_sha256:
        warnings.append("The two audits used different lexicons.")
    if a.attribution != b.attribution:
        warnings.append("The two audits used different attributions; their shares are not comparable.")
    by_name = {row.name: row for row in rows}
    results = []
    for limits, sign, word in ((max_increase, 1, "increase"), (max_decrease, -1, "decrease")):
        for name, allowed in limits:
            if name not in by_name:
                raise InputError(
                    f"--max-{word} {name}: this metric is not in both audits; available: {sorted(by_name)}"
                )
            change = sign * by_name[name].delta
            results.append(
                (f"{name} may {word} by at most {allowed:g}: changed by {sign * change:+.4f}", change <= allowed)
            )
    return Comparison(titles[0], titles[1], rows, warnings, results)


def _value(name, value):
    return f"{value * 100:.1f} {'points' if METRICS[name].unit == 'points' else '%'}"


def markdown(comparison):
    c = comparison
    lines = ["# Audit comparison", "", f"Baseline: **{c.baseline_title}**; candidate: **{c.candidate_title}**", ""]
    lines += [f"> {w}" for w in c.warnings] + ([""] if c.warnings else [])
    if c.threshold_results:
        lines += [
            f"**{'PASS' if c.passed else 'FAIL'}**: "
            + "; ".join(f"{text} ({'pass' if ok else 'FAIL'})" for text, ok in c.threshold_results),
            "",
        ]
    lines += [f"| metric | {c.baseline_title} | {c.candidate_title} | change | |", "|---|---|---|---|---|"]
    for row in c.rows:
        lines.append(
            f"| {row.label} | {_value(row.name, row.baseline)} | {_value(row.name, row.candidate)} | "
            f"{row.delta * 100:+.1f} | {row.verdict} ({'lower' if row.better < 0 else 'higher'} is "
            "better) |"
        )
    return "\n".join(lines) + "\n"


def html(comparison):
    c = comparison
    colour = {"better": "pass", "worse": "fail", "same": "muted"}
    rows = "".join(
        f"<tr><td class='l'>{esc(row.label)}</td><td>{esc(_value(row.name, row.baseline))}</td>"
        f"<td>{esc(_value(row.name, row.candidate))}</td><td>{row.delta * 100:+.1f}</td>"
        f"<td class='l {colour[row.verdict]}'>{row.verdict} ({'lower' if row.better < 0 else 'higher'} is better)"
        "</td></tr>"
        for row in c.rows
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
        + f"<table><tr><th class='l'>metric</th><th>{esc(c.baseline_title)}</th><th>{esc(c.candidate_title)}</th>"
        f"<th>change (points)</th><th class='l'></th></tr>{rows}</table></body></html>"
    )


def compare(baseline_folder, candidate_folder, out_dir, max_increase=(), max_decrease=()):
    """Write compare.md and compare.html into out_dir; returns the Comparison."""
    comparison = build_comparison(baseline_folder, candidate_folder, max_increase, max_decrease)
    os.makedirs(out_dir, exist_ok=True)
    outputs.write_atomic(os.path.join(out_dir, "compare.md"), markdown(comparison))
    outputs.write_atomic(os.path.join(out_dir, "compare.html"), html(comparison))
    return comparison
