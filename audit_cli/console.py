"""What audit commands print: the progress line, the run's summary, and notes while waiting for a server."""

import sys
import time

import click

from cli_common.console import printable


def say_waiting(message):
    click.echo(f"{message}…", err=True)


class Progress:
    """Progress on stderr: on a terminal one line redrawn in place (documents, % of the file, docs/s, ETA); when
    piped, a plain line every 10 s. ``finish`` ends the line so that the summary starts on a line of its own."""

    def __init__(self, enabled, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = 0.0
        self.drawn = False

    def __call__(self, documents, seconds, fraction=0.0):
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 10.0):
            return
        self.last = now
        rate = documents / seconds if seconds > 0 else 0.0
        line = f"{documents:,} docs"
        if 0 < fraction < 1:  # the reader reads ahead: a small file is read whole with its first batch
            remaining = seconds * (1 - fraction) / fraction
            line += f", {fraction * 100:.0f} % of the file, {rate:,.0f} docs/s, ETA {format_seconds(remaining)}"
        else:
            line += f", {rate:,.0f} docs/s"
        if self.tty:
            self.stream.write("\r" + line.ljust(78))
            self.drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self):
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def format_seconds(seconds):
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


def console_summary(summary, out_dir):
    """The run's summary for the terminal: verdict, reliance, then saliency, gates and where the outputs are."""
    from audit_engine.evaluations import Discovery
    from audit_engine.formatting import bracketed, count, percent, span
    from audit_engine.options import NO_ATTRIBUTION
    from audit_engine.report import coverage_note, warning_lines
    from audit_engine.summary import reliance_sentence

    d = summary.share_distribution
    lines = [f"verdict: {summary.verdict}: {summary.verdict_reason}", *warning_lines(summary)]
    if summary.reliance_documents:
        finding = reliance_sentence(summary)
        # The verdict's reason is often this very sentence: the terms follow it instead of a second copy.
        lines.append("reliance: " + ("as above" if finding == summary.verdict_reason else finding))
        for term in summary.term_reliance[:5]:
            lines.append(
                f"  {term.term}: {count(term.documents, 'document')}, mean drop {percent(term.mean_drop)} points, "
                f"{term.flip_fraction * 100:.1f} % flip ({span(term.flip_fraction_interval)} %)"
                + (f": {term.finding}" if term.finding else "")
            )
    if Discovery.ran(summary) and summary.record_schema_version:
        lines.append("discovery: " + Discovery.sentence(summary))
    if summary.substitution_documents:
        lines.append(
            f"substitution: mean gap {summary.mean_substitution_gap * 100:.1f} points over "
            f"{count(summary.substitution_documents, 'document')}, {summary.substitution_flipped} flip"
        )
    if summary.attribution == NO_ATTRIBUTION:
        lines.append("saliency: not available for this model (--attribution none: its probabilities only)")
    else:
        lines.append(
            f"{summary.attribution} saliency: mean forbidden share {d.mean:.4f} (p90 {d.p90:.4f}) over "
            f"{count(d.documents, 'document')} with a forbidden word; {summary.flagged} flagged"
        )
    if summary.saliency_underreports_reliance:
        lines.append(
            f"note: {summary.attribution} saliency under-reports reliance on this model: trust the "
            "reliance figures above"
        )
    for gate in summary.gates:
        outcome = gate.outcome.upper()
        interval = bracketed(gate, "interval", fractions=True)
        lines.append(f"gate {gate.name}: observed {gate.observed:.4f}{interval}, limit {gate.limit:g}: {outcome}")
    if note := coverage_note(summary):
        lines.append(note)
    lines.append(
        f"{summary.scored} scored, {summary.skipped} skipped, {summary.with_forbidden_terms} with forbidden "
        f"words; {summary.documents_per_second:,.0f} docs/s; outputs in {out_dir}"
    )
    return [printable(line) for line in lines]  # terms and labels come from files: no terminal escapes
