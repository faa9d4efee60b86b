"""Side-by-side comparison of two audit output folders (e.g. before / after the penalty)."""

import os

from audit_cli import outputs
from audit_cli.report import bar_chart_svg, esc
from saliency_core.errors import InputError


def _load(folder):
    if not os.path.isfile(os.path.join(folder, outputs.SUMMARY_JSON)):
        why = " (the run did not finish: see INCOMPLETE)" if os.path.exists(
            os.path.join(folder, outputs.INCOMPLETE)) else ""
        raise InputError(f"no {outputs.SUMMARY_JSON}{why}", folder)
    return outputs.read_summary(folder)


def compare(folder_a, folder_b, out_dir):
    """Write compare.md and compare.html into out_dir; returns the rows of the headline table."""
    a, b = _load(folder_a), _load(folder_b)
    rows = [
        ("model", f"{a.model_name} v{a.model_version}", f"{b.model_name} v{b.model_version}"),
        ("input sha256", a.input_sha256[:16], b.input_sha256[:16]),
        ("lexicon sha256", a.lexicon_sha256[:16], b.lexicon_sha256[:16]),
        ("verdict", a.verdict, b.verdict),
        ("documents scored", a.scored, b.scored),
        ("with forbidden terms", a.with_forbidden_terms, b.with_forbidden_terms),
    ]
    if a.occlusion_documents or b.occlusion_documents:
        rows += [("flips without forbidden", f"{a.occlusion_flip_fraction:.4f}", f"{b.occlusion_flip_fraction:.4f}"),
                 ("mean occlusion drop", f"{a.mean_occlusion_drop:.4f}", f"{b.mean_occlusion_drop:.4f}")]
    if a.substitution_documents or b.substitution_documents:
        rows.append(("mean substitution gap", f"{a.mean_substitution_gap:.4f}", f"{b.mean_substitution_gap:.4f}"))
    rows += [
        ("attribution", a.attribution, b.attribution),
        ("mean forbidden share", f"{a.share_distribution.mean:.4f}", f"{b.share_distribution.mean:.4f}"),
        ("median forbidden share", f"{a.share_distribution.median:.4f}", f"{b.share_distribution.median:.4f}"),
        ("p90 forbidden share", f"{a.share_distribution.p90:.4f}", f"{b.share_distribution.p90:.4f}"),
        ("flagged fraction", f"{a.flagged_fraction:.4f}", f"{b.flagged_fraction:.4f}"),
    ]
    if a.labelled or b.labelled:
        rows.append(("accuracy", f"{a.accuracy:.4f}", f"{b.accuracy:.4f}"))
    warnings = []
    if a.input_sha256 != b.input_sha256:
        warnings.append("The two audits read different input files.")
    if a.lexicon_sha256 != b.lexicon_sha256:
        warnings.append("The two audits used different lexicons.")
    terms_a = {t.term: t for t in a.terms}
    terms_b = {t.term: t for t in b.terms}
    term_rows = [(term, f"{terms_a[term].mean_share:.4f}" if term in terms_a else "-",
                  f"{terms_b[term].mean_share:.4f}" if term in terms_b else "-")
                 for term in sorted(set(terms_a) | set(terms_b))]
    md = ["# Audit comparison", "", f"A: `{folder_a}`  ", f"B: `{folder_b}`", ""]
    md += [f"> {w}" for w in warnings] + ([""] if warnings else [])
    md += ["| | A | B |", "|---|---|---|"] + [f"| {r[0]} | {r[1]} | {r[2]} |" for r in rows]
    md += ["", "## Mean share per forbidden term", "", "| term | A | B |", "|---|---|---|"]
    md += [f"| {t} | {x} | {y} |" for t, x, y in term_rows]
    os.makedirs(out_dir, exist_ok=True)
    outputs.write_atomic(os.path.join(out_dir, "compare.md"), "\n".join(md) + "\n")
    table = "".join(f"<tr><td>{esc(r[0])}</td><td>{esc(r[1])}</td><td>{esc(r[2])}</td></tr>" for r in rows)
    chart = bar_chart_svg("Mean forbidden share", ["A", "B"],
                          [a.share_distribution.mean, b.share_distribution.mean])
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Audit comparison</title></head>"
            f"<body><h1>Audit comparison</h1><p>A: {esc(folder_a)}<br>B: {esc(folder_b)}</p>"
            + "".join(f"<p><b>{esc(w)}</b></p>" for w in warnings)
            + f"<table border='1'><tr><th></th><th>A</th><th>B</th></tr>{table}</table>{chart}</body></html>")
    outputs.write_atomic(os.path.join(out_dir, "compare.html"), page)
    return rows
