"""The history of a model's audits: each headline figure with its interval, version after version, and the
regressions between consecutive audits that the statistics support.

Consecutive audits are compared by compare.build_comparison: document by document when both read the same
corpus (the paired bootstrap; McNemar for flips), else from each audit's own intervals (MOVER). A change is a
regression when its interval lies wholly on the worse side of 0. Many changes are tested at once (every watched
figure between every two consecutive audits), so every change's interval is taken at the Bonferroni level, keeping
the chance of any false alarm at 1 - confidence: paired intervals are computed at that level; unpaired ones are
built from each audit's own interval stretched to it (paired.rescaled, a normal approximation).
"""

from __future__ import annotations

import dataclasses
import glob
import os
from collections.abc import Sequence

from audit_engine import outputs
from audit_engine.compare import METRICS, Comparison, ComparisonRow, build_comparison, load_summary, title_of
from audit_engine.evaluations import CompareMetric
from audit_engine.formatting import md, percent, span
from audit_engine.html_render import STYLE, esc, markdown_to_html
from audit_engine.statistics import DEFAULT_CONFIDENCE
from protos import audit_pb2
from saliency_core.errors import InputError

WATCHED = tuple(name for name, metric in METRICS.items() if metric.better)  # figures with a better direction


@dataclasses.dataclass(frozen=True)
class Audit:
    folder: str
    summary: audit_pb2.AuditSummary
    title: str


@dataclasses.dataclass(frozen=True)
class Regression:
    metric: str
    before: str  # the earlier audit's title
    after: str
    row: ComparisonRow

    @property
    def paired(self) -> bool:
        return bool(self.row.change_with_interval and self.row.change_with_interval.documents)

    def describe(self) -> str:
        return f"{self.row.label}: {self.before} → {self.after}: {self.row.change}"


@dataclasses.dataclass
class History:
    audits: list[Audit]
    steps: list[Comparison]  # steps[i]: audits[i] against audits[i + 1]
    watched: list[str]
    regressions: list[Regression]
    warnings: list[str]
    confidence: float  # the family's: the chance of no false alarm among all the changes tested
    test_confidence: float  # each change's interval's (Bonferroni)

    @property
    def metrics(self) -> list[CompareMetric]:
        """The figures at least one audit measured, in compare's order."""
        return [m for m in METRICS.values() if any(m.measured(a.summary) for a in self.audits)]


def expand_folders(patterns: Sequence[str]) -> list[str]:
    """Audit folders from arguments that may be globs (quoted, so the shell left them): each holding summary.json."""
    folders: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matched = sorted(p for p in glob.glob(pattern) if os.path.isfile(os.path.join(p, outputs.SUMMARY_JSON)))
            if not matched:
                raise InputError("no audit folder (with summary.json) matches this pattern", pattern)
            folders += matched
        else:
            folders.append(pattern)
    return list(dict.fromkeys(folders))


def _ordered(audits: list[Audit]) -> tuple[list[Audit], list[str]]:
    names = sorted({a.summary.model_name for a in audits})
    if len(names) == 1:
        key = lambda a: (a.summary.model_version, a.summary.finished_at, a.folder)
        return sorted(audits, key=key), []
    warning = f"The audits are of {len(names)} models ({', '.join(names)}): ordered by when each audit finished"
    return sorted(audits, key=lambda a: (a.summary.finished_at, a.folder)), [warning]


def build_history(
    folders: Sequence[str], watched: Sequence[str] = WATCHED, confidence: float = DEFAULT_CONFIDENCE
) -> History:
    """Order the audits in ``folders`` by model version (then time) and compare each with the next."""
    if len(folders) < 2:
        raise InputError(f"a history needs at least two audits; got {len(folders)}")
    unknown = [name for name in watched if name not in METRICS or not METRICS[name].better]
    if unknown:
        raise InputError(f"cannot watch {unknown}: choose among {list(WATCHED)}")
    audits = [Audit(folder, summary := load_summary(folder), title_of(summary, folder)) for folder in folders]
    audits, warnings = _ordered(audits)
    titles = [a.title for a in audits]
    if len(set(titles)) < len(titles):
        audits = [
            dataclasses.replace(a, title=f"{a.title} ({os.path.basename(os.path.normpath(a.folder))})") for a in audits
        ]
    tests = (len(audits) - 1) * len(watched)
    test_confidence = 1 - (1 - confidence) / max(tests, 1)
    steps = [
        build_comparison(before.folder, after.folder, confidence=test_confidence)
        for before, after in zip(audits, audits[1:])
    ]
    regressions = [
        Regression(row.name, before.title, after.title, row)
        for step, before, after in zip(steps, audits, audits[1:])
        for row in step.rows
        if row.name in watched and row.verdict == "worse"
    ]
    for step, before, after in zip(steps, audits, audits[1:]):
        warnings += [f"{before.title} → {after.title}: {w}" for w in step.warnings]
    return History(audits, steps, list(watched), regressions, warnings, confidence, test_confidence)


def shown_value(metric: CompareMetric, summary: audit_pb2.AuditSummary) -> str:
    """The figure as a reader sees it: value, unit and interval ("not measured" when it was not)."""
    if not metric.measured(summary):
        return "not measured"
    interval = metric.interval(summary) if metric.interval else None
    unit = "points" if metric.unit == "points" else "%"
    return f"{percent(metric.read(summary))} {unit}" + (f" ({span(interval)})" if interval is not None else "")


def markdown_lines(history: History) -> list[str]:
    h = history
    lines = ["# Audit history", ""]
    shown = (h.audits[-1].summary.confidence or DEFAULT_CONFIDENCE) * 100
    lines.append(
        f"{len(h.audits)} audits, oldest first. Figures with their {shown:g} % "
        f"intervals; a regression is a change between consecutive audits whose interval lies wholly on the worse "
        f"side ({len(h.watched)} figures × {len(h.audits) - 1} steps tested; each change's interval at "
        f"{h.test_confidence * 100:.3g} %, Bonferroni for {h.confidence * 100:g} % over all)."
    )
    lines.append("")
    lines += [f"> {md(w)}" for w in h.warnings] + ([""] if h.warnings else [])
    if h.regressions:
        lines += [f"**REGRESSION**: {md(r.describe())}" for r in h.regressions] + [""]
    else:
        lines += ["**No significant regression** between consecutive audits.", ""]
    header = "| metric | " + " | ".join(md(a.title) for a in h.audits) + " |"
    lines += [header, "|---|" + "---|" * len(h.audits)]
    for metric in h.metrics:
        lines.append(f"| {md(metric.label)} | " + " | ".join(shown_value(metric, a.summary) for a in h.audits) + " |")
    lines.append("| verdict | " + " | ".join(md(a.summary.verdict) for a in h.audits) + " |")
    lines.append("| documents | " + " | ".join(f"{a.summary.scored:,}" for a in h.audits) + " |")
    return lines


def trend_svg(history: History, metric: CompareMetric, width: int = 640, height: int = 170) -> str:
    """One figure across the audits as inline SVG: a point per audit with its interval as a whisker; the audit
    after a regression in red."""
    points = [
        (i, metric.read(a.summary), metric.interval(a.summary) if metric.interval else None)
        for i, a in enumerate(history.audits)
        if metric.measured(a.summary)
    ]
    flagged = {r.after for r in history.regressions if r.metric == metric.name}
    ends = [v for _, value, interval in points for v in ((interval.low, interval.high) if interval else (value,))]
    low, high = (min(ends), max(ends)) if ends else (0.0, 1.0)
    low, high = (low - 0.05, high + 0.05) if high - low < 1e-9 else (low, high)
    left, right, top, bottom = 60, 20, 26, 34
    x_of = lambda i: left + (width - left - right) * (i + 0.5) / max(len(history.audits), 1)
    y_of = lambda v: top + (height - top - bottom) * (high - v) / (high - low)
    unit = "points" if metric.unit == "points" else "%"
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{esc(metric.label)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{esc(metric.label)} ({unit})</text>',
        f'<text x="0" y="{y_of(high) + 4:.1f}" font-size="11">{high * 100:.1f}</text>',
        f'<text x="0" y="{y_of(low) + 4:.1f}" font-size="11">{low * 100:.1f}</text>',
        f'<line x1="{left}" y1="{y_of(low):.1f}" x2="{width - right}" y2="{y_of(low):.1f}" stroke="#ccc"/>',
    ]
    previous = None
    for i, value, interval in points:
        x, y = x_of(i), y_of(value)
        colour = "#b42318" if history.audits[i].title in flagged else "#4c78a8"
        if interval is not None:
            parts.append(
                f'<line x1="{x:.1f}" y1="{y_of(interval.low):.1f}" x2="{x:.1f}" '
                f'y2="{y_of(interval.high):.1f}" stroke="{colour}" stroke-width="2"/>'
            )
        if previous is not None:
            parts.append(
                f'<line x1="{previous[0]:.1f}" y1="{previous[1]:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                'stroke="#999" stroke-dasharray="3,3"/>'
            )
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        previous = (x, y)
    for i, audit in enumerate(history.audits):
        parts.append(
            f'<text x="{x_of(i):.1f}" y="{height - 12}" font-size="11" text-anchor="middle">'
            f"{esc(audit.title[:24])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def html(history: History) -> str:
    lines = markdown_lines(history)
    verdict = "FAIL" if history.regressions else "PASS"
    banner = (
        f"<div class='verdict v-{verdict}'><b>{'REGRESSION' if history.regressions else 'NO REGRESSION'}</b> — "
        + (
            esc("; ".join(r.describe() for r in history.regressions))
            or "no change between consecutive audits lies wholly on the worse side"
        )
        + "</div>"
    )
    charts = "".join(f"<div>{trend_svg(history, m)}</div>" for m in history.metrics if m.name in history.watched)
    body = markdown_to_html([line for line in lines[2:] if not line.startswith("**")])
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Audit history</title>"
        f"<style>{STYLE}</style></head><body><h1>Audit history</h1>{banner}{body}<h2>Trends</h2>{charts}"
        "</body></html>"
    )


def write_history(out_dir: str, history: History) -> None:
    """history.md and history.html into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    outputs.write_atomic(os.path.join(out_dir, "history.md"), "\n".join(markdown_lines(history)) + "\n")
    outputs.write_atomic(os.path.join(out_dir, "history.html"), html(history))
