"""report.md and a self-contained report.html (inline SVG, no scripts, no external URLs).

Every string that comes from the corpus or the model is HTML-escaped.
"""

import html
import os

from audit_cli import outputs

STYLE = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.pass{color:#1a7f37}.fail{color:#b42318;font-weight:bold}
.doc{border:1px solid #ddd;padding:8px;margin:8px 0;line-height:1.9}.tok{padding:1px 2px;border-radius:3px}
.forbidden{outline:2px solid #b42318}.muted{color:#666}"""


def esc(value):
    return html.escape(str(value), quote=True)


def bar_chart_svg(title, labels, values, width=640, bar_height=18, value_format="{:.3g}"):
    """Horizontal bars as inline SVG."""
    labels, values = list(labels), [float(v) for v in values]
    height = 28 + bar_height * max(len(values), 1) + 8
    top = max(values) if values and max(values) > 0 else 1.0
    parts = [f'<svg width="{width}" height="{height}" role="img" '
             f'aria-label="{esc(title)}"><text x="0" y="16" font-size="14" font-weight="bold">{esc(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 28 + i * bar_height
        length = (width - 260) * value / top
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{esc(label)[:40]}</text>'
                     f'<rect x="180" y="{y + 2}" width="{length:.1f}" height="{bar_height - 4}" fill="#4c78a8"/>'
                     f'<text x="{184 + length:.1f}" y="{y + 13}" font-size="12">{esc(value_format.format(value))}</text>')
    if not values:
        parts.append('<text x="0" y="44" font-size="12">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_labels(bins):
    return [f"{i / bins:.1f}-{(i + 1) / bins:.1f}" for i in range(bins)]


def _gate_lines(summary):
    return [(g.name, g.description, g.observed, "pass" if g.passed else "FAIL") for g in summary.gates]


def markdown_report(summary):
    d = summary.share_distribution
    lines = [
        f"# Saliency audit: {summary.model_name} v{summary.model_version}", "",
        f"- input: `{summary.input_path}` (sha256 `{summary.input_sha256[:16]}…`)",
        f"- lexicon: `{summary.lexicon_path}` ({summary.lexicon_terms} terms, sha256 `{summary.lexicon_sha256[:16]}…`)",
        f"- backend: `{summary.backend}`, signature `{summary.signature_name}`, T = {summary.max_tokens}",
        f"- {summary.started_at} → {summary.finished_at}, {summary.seconds:.1f} s, "
        f"{summary.documents_per_second:.0f} docs/s", "",
        "| documents | scored | skipped | with forbidden terms | flagged (share ≥ "
        f"{summary.threshold:g}) | flagged fraction | truncated |",
        "|---|---|---|---|---|---|---|",
        f"| {summary.documents} | {summary.scored} | {summary.skipped} | {summary.with_forbidden_terms} | "
        f"{summary.flagged} | {summary.flagged_fraction:.4f} | {summary.truncated} |", "",
        "## Forbidden share (documents with a forbidden term)", "",
        "| documents | mean | median | p90 | p99 |", "|---|---|---|---|---|",
        f"| {d.documents} | {d.mean:.4f} | {d.median:.4f} | {d.p90:.4f} | {d.p99:.4f} |", "",
    ]
    if summary.gates:
        lines += ["## Gates", "", "| gate | rule | observed | result |", "|---|---|---|---|"]
        lines += [f"| {n} | {desc} | {obs:.4f} | {res} |" for n, desc, obs, res in _gate_lines(summary)]
        lines.append("")
    lines += ["## Forbidden terms", "", "| term | documents | occurrences | saliency mass | mean share |",
              "|---|---|---|---|---|"]
    lines += [f"| {t.term} | {t.documents} | {t.occurrences} | {t.saliency_mass:.4f} | {t.mean_share:.4f} |"
              for t in summary.terms]
    lines += ["", "## Per predicted class", "",
              "| class | documents | with forbidden terms | flagged | mean forbidden share |", "|---|---|---|---|---|"]
    lines += [f"| {c.label} | {c.documents} | {c.with_forbidden_terms} | {c.flagged} | {c.mean_forbidden_share:.4f} |"
              for c in summary.classes]
    lines += _evaluation_lines(summary)
    if summary.truncated:
        lines += ["", f"Note: {summary.truncated} documents were longer than T = {summary.max_tokens} tokens; "
                      "tokens beyond T were not explained and forbidden words there are not counted."]
    return "\n".join(lines) + "\n"


def _percent(value):
    return "–" if value != value else f"{value * 100:.1f}"


def _evaluation_lines(summary):
    """Optional evaluations: accuracy, rationale agreement, bias metrics (Markdown)."""
    lines = []
    if summary.labelled:
        lines += ["", f"Accuracy on {summary.labelled} labelled documents: {summary.accuracy * 100:.1f} %."]
    if summary.occlusion_documents:
        lines += ["", f"Occlusion ({summary.occlusion_documents} documents with a forbidden term): removing the "
                      f"forbidden terms lowers p(predicted label) by {summary.mean_occlusion_drop * 100:.1f} points on "
                      f"average and changes the prediction of {summary.occlusion_flipped} documents "
                      f"({summary.occlusion_flipped / summary.occlusion_documents * 100:.1f} %)."]
    if summary.rationale_documents:
        lines += ["", f"Human rationale ({summary.rationale_documents} documents with rationale tokens in the explained "
                      f"part): mean token F1 {summary.mean_rationale_token_f1 * 100:.1f} %, mean AUPRC "
                      f"{summary.mean_rationale_auprc * 100:.1f} %."]
    if summary.term_bias:
        lines += ["", f"## Bias metrics (toxic = {', '.join(summary.toxic_classes)}; overall AUC "
                      f"{_percent(summary.toxic_auc)} %; pinned AUC equality difference "
                      f"{summary.pinned_auc_equality_difference:.3f})", "",
                  "| term | documents | subgroup AUC % | BPSN AUC % | BNSP AUC % | pinned AUC % |", "|---|---|---|---|---|---|"]
        lines += [f"| {b.term} | {b.documents} | {_percent(b.subgroup_auc)} | {_percent(b.bpsn_auc)} | "
                  f"{_percent(b.bnsp_auc)} | {_percent(b.pinned_auc)} |" for b in summary.term_bias]
    return lines


def _table(headers, rows):
    head = "".join(f'<th class="{"l" if i == 0 else ""}">{esc(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i == 0 else ""}">{esc(v)}</td>' for i, v in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _highlight(example):
    top = max(example.saliency) if example.saliency and max(example.saliency) > 0 else 1.0
    spans = []
    for token, value, forbidden in zip(example.tokens, example.saliency, example.forbidden):
        alpha = 0.08 + 0.8 * value / top
        cls = "tok forbidden" if forbidden else "tok"
        spans.append(f'<span class="{cls}" style="background:rgba(230,85,13,{alpha:.2f})" '
                     f'title="{value:.4g}">{esc(token)}</span>')
    return " ".join(spans)


def html_report(summary, examples):
    d = summary.share_distribution
    gates = ""
    if summary.gates:
        rows = "".join(f'<tr><td class="l">{esc(n)}</td><td class="l">{esc(desc)}</td><td>{obs:.4f}</td>'
                       f'<td class="{"pass" if res == "pass" else "fail"}">{res}</td></tr>'
                       for n, desc, obs, res in _gate_lines(summary))
        gates = f"<h2>Gates</h2><table><tr><th class='l'>gate</th><th class='l'>rule</th><th>observed</th>" \
                f"<th>result</th></tr>{rows}</table>"
    terms = summary.terms[:15]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Saliency audit: {esc(summary.model_name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Saliency audit: {esc(summary.model_name)} v{summary.model_version}</h1>",
        f"<p class='muted'>input {esc(summary.input_path)} · lexicon {esc(summary.lexicon_path)} "
        f"({summary.lexicon_terms} terms) · {esc(summary.backend)} · {esc(summary.finished_at)}</p>",
        _table(["documents", "scored", "skipped", "with forbidden terms", "flagged", "flagged fraction", "truncated"],
               [[summary.documents, summary.scored, summary.skipped, summary.with_forbidden_terms,
                 summary.flagged, f"{summary.flagged_fraction:.4f}", summary.truncated]]),
        gates,
        "<h2>Forbidden share</h2>",
        _table(["documents with a forbidden term", "mean", "median", "p90", "p99"],
               [[d.documents, f"{d.mean:.4f}", f"{d.median:.4f}", f"{d.p90:.4f}", f"{d.p99:.4f}"]]),
        bar_chart_svg("Documents by forbidden share", histogram_labels(len(d.histogram)), d.histogram,
                      value_format="{:.0f}"),
        "<h2>Forbidden terms</h2>",
        bar_chart_svg("Top forbidden terms by saliency mass", [t.term for t in terms],
                      [t.saliency_mass for t in terms]),
        _table(["term", "documents", "occurrences", "saliency mass", "mean share"],
               [[t.term, t.documents, t.occurrences, f"{t.saliency_mass:.4f}", f"{t.mean_share:.4f}"]
                for t in summary.terms]),
        "<h2>Per predicted class</h2>",
        bar_chart_svg("Mean forbidden share by predicted class", [c.label for c in summary.classes],
                      [c.mean_forbidden_share for c in summary.classes]),
        _table(["class", "documents", "with forbidden terms", "flagged", "mean forbidden share"],
               [[c.label, c.documents, c.with_forbidden_terms, c.flagged, f"{c.mean_forbidden_share:.4f}"]
                for c in summary.classes]),
    ]
    evaluation = _evaluation_lines(summary)
    if evaluation:
        parts.append("<h2>Evaluation</h2>")
        table_rows = [line for line in evaluation if line.startswith("| ") and not line.startswith("| term")]
        for line in evaluation:
            if line and not line.startswith("|"):
                parts.append(f"<p>{esc(line.lstrip('# '))}</p>")
        if table_rows:
            parts.append(_table(["term", "documents", "subgroup AUC %", "BPSN AUC %", "BNSP AUC %", "pinned AUC %"],
                                [[cell.strip() for cell in row.strip("|").split("|")] for row in table_rows]))
    if examples:
        parts.append("<h2>Documents with the highest forbidden share</h2>"
                     "<p class='muted'>Background: saliency; outlined: forbidden positions.</p>")
        for example in examples:
            parts.append(f"<div class='doc'><div class='muted'>row {example.row} · id {esc(example.doc_id)} · "
                         f"predicted {esc(example.label)} · share {example.share:.3f}</div>{_highlight(example)}</div>")
    if summary.truncated:
        parts.append(f"<p>{summary.truncated} documents exceeded T = {summary.max_tokens} tokens; "
                     "tokens beyond T were not explained.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(out_dir, summary, examples):
    outputs.write_atomic(os.path.join(out_dir, outputs.REPORT_MD), markdown_report(summary))
    outputs.write_atomic(os.path.join(out_dir, outputs.REPORT_HTML), html_report(summary, examples))
