"""report.md and a self-contained report.html (inline SVG, no scripts, no external URLs).

Every string that comes from the corpus or the model is HTML-escaped.
"""

import json
import os
from collections.abc import Sequence

from audit_engine import outputs
from audit_engine.evaluations import EVALUATIONS
from audit_engine.examples import Example
from audit_engine.formatting import bracketed, ci, count, md, percent
from audit_engine.glossary import GLOSSARY
from audit_engine.html_render import STYLE, _table, bar_chart_svg, esc, legend, markdown_to_html
from audit_engine.options import NO_ATTRIBUTION
from protos import audit_pb2

HEADLINE_SECTIONS = tuple(kind for kind in EVALUATIONS if kind.headline)
BESIDE_HEADLINE_SECTIONS = tuple(kind for kind in EVALUATIONS if kind.beside_headline)
SECONDARY_SECTIONS = tuple(kind for kind in EVALUATIONS if not (kind.headline or kind.beside_headline))


def _flagged_ci(summary: audit_pb2.AuditSummary) -> str:
    return bracketed(summary, "flagged_fraction_interval", fractions=True)


def _share_ci(summary: audit_pb2.AuditSummary) -> str:
    return bracketed(summary, "mean_share_interval", fractions=True)


def _gate_lines(summary):
    """(name, rule, observed with its interval, result) of every gate."""
    lines = []
    for g in summary.gates:
        observed = f"{g.observed:.4f}{bracketed(g, 'interval', fractions=True)}"
        result = g.outcome.upper()
        if g.outcome == "inconclusive":
            result += f" (counts as {'pass' if g.passed else 'fail'}" + (
                f"; about {g.documents_to_decide:,} documents would decide)" if g.documents_to_decide else ")"
            )
        lines.append((g.name, g.description, observed, result))
    return lines


def warning_lines(summary: audit_pb2.AuditSummary) -> list[str]:
    """Warnings a reader must not miss (one line each)."""
    lines = []
    if summary.out_of_vocabulary_terms:
        lines.append(
            f"Warning: {count(len(summary.out_of_vocabulary_terms), 'lexicon term')} "
            f"{'is' if len(summary.out_of_vocabulary_terms) == 1 else 'are'} outside the model's "
            f"vocabulary ({', '.join(md(term) for term in summary.out_of_vocabulary_terms[:12])}"
            + (", …" if len(summary.out_of_vocabulary_terms) > 12 else "")
            + "): the model sees each of them as the same unknown word, so their saliency cannot single "
            "them out; removal and substitution still measure them."
        )
    if summary.labels_outside_model_classes and not summary.labelled:
        lines.append("Warning: no label is a class of the model, so accuracy is not reported (use --label-map).")
    if foreign := json.loads(summary.model_metadata_json or "{}").get("foreign_model"):
        lines.append(f"Note: a model this project did not export, read through {md('; '.join(foreign['notes']))}.")
    return lines


def headline_lines(summary: audit_pb2.AuditSummary) -> list[str]:
    """Verdict, reliance and the under-reporting note: what a reader must see first (Markdown)."""
    lines = [f"**Verdict: {summary.verdict}** — {summary.verdict_reason}", ""]
    lines += [f"> {line}" for line in warning_lines(summary)]
    lines += ["", "## Reliance on forbidden words"]
    for section in HEADLINE_SECTIONS:
        lines += section.markdown(summary)
    if summary.saliency_underreports_reliance:
        lines += [
            "",
            f"> {summary.attribution} saliency under-reports reliance on this model: the forbidden words "
            f"hold {summary.share_distribution.mean * 100:.1f} % of the saliency while removing them changes "
            f"{summary.reliance_flip_fraction * 100:.1f} % of predictions. Trust the reliance figures.",
        ]
    return lines


def beside_headline_lines(summary: audit_pb2.AuditSummary) -> list[str]:
    """The sections that extend the headline (discovery: reliance on unlisted words), in Markdown."""
    return [line for section in BESIDE_HEADLINE_SECTIONS if section.ran(summary) for line in section.markdown(summary)]


NOT_AVAILABLE = (
    "Saliency is not available for this model: it was audited with --attribution none (its probabilities only). "
    "Reliance, the control, substitution, bias AUCs and accuracy need no saliency."
)


def saliency_available(summary: audit_pb2.AuditSummary) -> bool:
    return summary.attribution != NO_ATTRIBUTION


def markdown_report(summary: audit_pb2.AuditSummary) -> str:
    d = summary.share_distribution
    lines = [
        f"# Audit: {md(summary.model_name)} v{summary.model_version}",
        "",
        *headline_lines(summary),
        *beside_headline_lines(summary),
        "",
        f"## Saliency share ({summary.attribution}; second view)",
        "",
        "| documents | scored | skipped | with forbidden terms | flagged (share ≥ "
        f"{summary.threshold:g}) | flagged fraction | truncated |",
        "|---|---|---|---|---|---|---|",
        f"| {summary.documents} | {summary.scored} | {summary.skipped} | {summary.with_forbidden_terms} | "
        f"{summary.flagged} | {summary.flagged_fraction:.4f}{_flagged_ci(summary)} | "
        f"{summary.truncated} |",
        "",
    ]
    if not saliency_available(summary):
        lines += [NOT_AVAILABLE, ""]
    else:
        lines += [
            "| documents with a forbidden term | mean share | median | p90 | p99 |",
            "|---|---|---|---|---|",
            f"| {d.documents} | {d.mean:.4f}{_share_ci(summary)} | {d.median:.4f} | {d.p90:.4f} | {d.p99:.4f} |",
            "",
        ]
    if summary.mean_abs_completeness_gap:
        lines += [
            f"Integrated gradients: mean |completeness gap| {summary.mean_abs_completeness_gap:.4f} "
            "(sum of attributions − (f(x) − f(baseline))); large values mean too few steps.",
            "",
        ]
    if summary.gates:
        lines += ["## Gates", "", "| gate | rule | observed (interval) | result |", "|---|---|---|---|"]
        lines += [f"| {n} | {desc} | {obs} | {res} |" for n, desc, obs, res in _gate_lines(summary)]
        lines.append("")
    if saliency_available(summary):
        lines += [
            "## Forbidden terms",
            "",
            "| term | documents | occurrences | saliency mass | mean share |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {md(t.term)} | {t.documents} | {t.occurrences} | {t.saliency_mass:.4f} | {t.mean_share:.4f} |"
            for t in summary.terms
        ]
        lines += [
            "",
            "## Per predicted class",
            "",
            "| class | documents | with forbidden terms | flagged | mean forbidden share |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {md(c.label)} | {c.documents} | {c.with_forbidden_terms} | {c.flagged} | {c.mean_forbidden_share:.4f} |"
            for c in summary.classes
        ]
    lines += [*_evaluation_lines(summary), *(["", line] if (line := coverage_note(summary)) else [])]
    lines += ["", "## Glossary", ""] + [f"- {entry}" for entry in GLOSSARY]
    lines += [
        "",
        f"input {md(summary.input_path)} (sha256 `{summary.input_sha256[:16]}…`); lexicon "
        f"{md(summary.lexicon_path)} ({count(summary.lexicon_terms, 'term')}, "
        f"sha256 `{summary.lexicon_sha256[:16]}…`); "
        f"backend {md(summary.backend)}, signature {md(summary.signature_name)}, T = {summary.max_tokens}; "
        f"{summary.started_at} → {summary.finished_at}, {summary.seconds:.1f} s, "
        f"{summary.documents_per_second:.0f} docs/s",
    ]
    return "\n".join(lines) + "\n"


def coverage_note(summary: audit_pb2.AuditSummary) -> str:
    """What of the long documents was explained, in one sentence ('' when every document fit in T tokens)."""
    note = ""
    if summary.windowed:
        note = (
            f"{count(summary.windowed, 'document')} longer than T = {summary.max_tokens} tokens "
            f"{'was' if summary.windowed == 1 else 'were'} explained in "
            f"overlapping windows (stride {summary.window_stride} tokens), every token up to "
            f"{summary.max_document_tokens:,} per document."
        )
    if summary.truncated:
        limit = (
            f"the cap of {summary.max_document_tokens:,} tokens"
            if summary.window_stride
            else f"T = {summary.max_tokens} tokens (windows off: --no-windows, or a model before contract 3)"
        )
        note += (" " if note else "") + (
            f"Note: {count(summary.truncated, 'document')} {'was' if summary.truncated == 1 else 'were'} longer "
            f"than {limit}; tokens "
            "beyond it were not explained and forbidden words there are not counted."
        )
    return note


def _evaluation_lines(summary):
    """Accuracy and the secondary evaluations (substitution, rationale, bias), in Markdown."""
    lines = []
    if summary.labelled:
        lines += [
            "",
            f"Accuracy on {summary.labelled} labelled documents: {summary.accuracy * 100:.1f} %"
            + (
                f" ({ci(summary.accuracy_interval, summary.confidence)})."
                if summary.HasField("accuracy_interval")
                else "."
            ),
        ]
    if summary.labels_outside_model_classes:
        lines += [
            "",
            f"{summary.labels_outside_model_classes} labelled documents carry labels that are not classes of "
            "the model, so no accuracy is computed for them"
            + (
                " (binary labels: see the AUC of the bias metrics)."
                if summary.label_space == "binary"
                else "; map them with --label-map."
            ),
        ]
    for section in SECONDARY_SECTIONS:
        if section.ran(summary):
            lines += section.markdown(summary)
    return lines


def _highlight(example):
    top = max(example.saliency) if example.saliency and max(example.saliency) > 0 else 1.0
    spans = []
    for token, value, forbidden in zip(example.tokens, example.saliency, example.forbidden):
        alpha = 0.08 + 0.8 * value / top
        cls = "tok forbidden" if forbidden else "tok"
        spans.append(
            f'<span class="{cls}" style="background:rgba(230,85,13,{alpha:.2f})" '
            f'title="{value:.4g}">{esc(token)}</span>'
        )
    return " ".join(spans)


def html_report(summary: audit_pb2.AuditSummary, examples: Sequence[Example]) -> str:
    gates = ""
    if summary.gates:
        rows = "".join(
            f'<tr><td class="l">{esc(n)}</td><td class="l">{esc(desc)}</td><td>{esc(obs)}</td>'
            f'<td class="{"pass" if res == "PASS" else "fail"}">{esc(res)}</td></tr>'
            for n, desc, obs, res in _gate_lines(summary)
        )
        gates = (
            f"<h2>Gates</h2><table><tr><th class='l'>gate</th><th class='l'>rule</th><th>observed</th>"
            f"<th>result</th></tr>{rows}</table>"
        )
    terms = summary.terms[:15]
    reliance_terms = summary.term_reliance[:15]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Audit: {esc(summary.model_name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Audit: {esc(summary.model_name)} v{summary.model_version}</h1>",
        f"<div class='verdict v-{esc(summary.verdict)}'><b>{esc(summary.verdict)}</b> — "
        f"{esc(summary.verdict_reason)}</div>",
        markdown_to_html(headline_lines(summary)[1:]),
        bar_chart_svg(
            "Predictions that change without the term (%)",
            [t.term for t in reliance_terms],
            [t.flip_fraction * 100 for t in reliance_terms],
            value_format="{:.1f}",
        )
        if reliance_terms
        else "",
        markdown_to_html(beside_headline_lines(summary)),
        gates,
        f"<h2>Saliency share ({esc(summary.attribution)}; second view)</h2>",
        _table(
            [
                "documents",
                "scored",
                "skipped",
                "with forbidden terms",
                "flagged",
                "flagged fraction",
                "in windows",
                "truncated",
            ],
            [
                [
                    summary.documents,
                    summary.scored,
                    summary.skipped,
                    summary.with_forbidden_terms,
                    summary.flagged,
                    f"{summary.flagged_fraction:.4f}{_flagged_ci(summary)}",
                    summary.windowed,
                    summary.truncated,
                ]
            ],
        ),
        *(
            _saliency_html(summary, terms)
            if saliency_available(summary)
            else [f"<p class='note'>{esc(NOT_AVAILABLE)}</p>"]
        ),
    ]
    evaluation = _evaluation_lines(summary)
    if evaluation:
        parts.append("<h2>Other evaluations</h2>" + markdown_to_html(evaluation))
    if examples:
        ranked_by = "reliance (drop without the forbidden words)" if summary.reliance_documents else "forbidden share"
        parts.append(f"<h2>Documents ranked by {ranked_by}</h2>{legend(saliency_available(summary))}")
        for example in examples:
            facts = [f"row {example.row}", f"id {esc(example.doc_id)}", f"predicted {esc(example.label)}"]
            if example.true_label:
                facts.append(f"true {esc(example.true_label)}")
            if example.drop is not None:
                facts.append(
                    f"without forbidden words: drop {percent(example.drop)} points"
                    + (", <b>prediction changes</b>" if example.flips else ", prediction stays")
                )
            if saliency_available(summary):
                facts.append(f"share {example.share:.3f}")
            if example.explained:  # a long document: an excerpt around its most salient forbidden word
                last = example.first_position + len(example.tokens)
                facts.append(f"tokens {example.first_position + 1:,}–{last:,} of {example.explained:,}")
            parts.append(f"<div class='doc'><div class='muted'>{' · '.join(facts)}</div>{_highlight(example)}</div>")
    if note := coverage_note(summary):
        parts.append(f"<p>{esc(note)}</p>")
    parts.append("<h2>Glossary</h2><ul>" + "".join(f"<li>{esc(entry)}</li>" for entry in GLOSSARY) + "</ul>")
    parts.append(
        f"<p class='muted'>input {esc(summary.input_path)} · lexicon {esc(summary.lexicon_path)} "
        f"({count(summary.lexicon_terms, 'term')}) · {esc(summary.backend)} · signature {esc(summary.signature_name)} "
        f"· {esc(summary.finished_at)}</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _saliency_html(summary: audit_pb2.AuditSummary, terms: Sequence) -> list[str]:
    d = summary.share_distribution
    return [
        "<h3>Forbidden share</h3>",
        _table(
            ["documents with a forbidden term", "mean", "median", "p90", "p99"],
            [
                [
                    d.documents,
                    f"{d.mean:.4f}{_share_ci(summary)}",
                    f"{d.median:.4f}",
                    f"{d.p90:.4f}",
                    f"{d.p99:.4f}",
                ]
            ],
        ),
        # Quantiles, not equal-width bins: shares pile up near 0, where ten bins show one bar.
        bar_chart_svg(
            "Forbidden share at quantiles (documents with a forbidden word)",
            ["mean", "median", "p90", "p99"],
            [d.mean, d.median, d.p90, d.p99],
            value_format="{:.4f}",
        )
        if d.documents
        else "",
        "<h2>Forbidden terms</h2>",
        bar_chart_svg(
            "Top forbidden terms by saliency mass", [t.term for t in terms], [t.saliency_mass for t in terms]
        ),
        _table(
            ["term", "documents", "occurrences", "saliency mass", "mean share"],
            [
                [t.term, t.documents, t.occurrences, f"{t.saliency_mass:.4f}", f"{t.mean_share:.4f}"]
                for t in summary.terms
            ],
        ),
        "<h2>Per predicted class</h2>",
        bar_chart_svg(
            "Mean forbidden share by predicted class",
            [c.label for c in summary.classes],
            [c.mean_forbidden_share for c in summary.classes],
        ),
        _table(
            ["class", "documents", "with forbidden terms", "flagged", "mean forbidden share"],
            [
                [c.label, c.documents, c.with_forbidden_terms, c.flagged, f"{c.mean_forbidden_share:.4f}"]
                for c in summary.classes
            ],
        ),
    ]


def write_reports(out_dir: str, summary: audit_pb2.AuditSummary, examples: Sequence[Example]) -> None:
    outputs.write_atomic(os.path.join(out_dir, outputs.REPORT_MD), markdown_report(summary))
    outputs.write_atomic(os.path.join(out_dir, outputs.REPORT_HTML), html_report(summary, examples))
