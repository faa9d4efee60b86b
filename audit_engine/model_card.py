"""A model card (Mitchell et al. 2019) from what the project knows of a model: its training metadata (carried in
every audit's summary: data digest, penalty and its weight, training metrics) and its audits (reliance with
intervals, the deletion control, bias AUCs, rationale agreement), with the limitations the audits found.

The JSON follows the Model Card Toolkit's schema v0.0.2 (model_details, model_parameters, quantitative_analysis,
considerations); a performance metric also carries its interval as ``confidence_interval`` {lower_bound,
upper_bound}, the field the toolkit's later proto added. Markdown and HTML render the same content.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from audit_engine import outputs
from audit_engine.compare import load_summary
from audit_engine.formatting import md, percent
from audit_engine.html_render import STYLE, esc, markdown_to_html
from audit_engine.summary import reliance_found
from protos import audit_pb2
from saliency_core.errors import InputError

SCHEMA_VERSION = "0.0.2"
# The figures an audit contributes, and how the Markdown and HTML show them ('%' of documents, 'points' of
# probability or of a percentage, '' as they are); the JSON keeps fractions, as the schema's numbers.
ACCURACY, AUC = "accuracy", "AUC"
FLIPS, DECISIVE, DROP = (
    "reliance: flip fraction without the forbidden words",
    "reliance: decisive flip fraction",
    "reliance: mean drop of p(predicted)",
)
EXCESS, TERM_FLIPS = (
    "reliance: excess flip fraction over the deletion control",
    "reliance: flip fraction without the term",
)
GAP = "substitution gap"
UNITS = {ACCURACY: "%", FLIPS: "%", DECISIVE: "%", TERM_FLIPS: "%", DROP: "points", EXCESS: "points", GAP: "points"}


def _metadata(summary: audit_pb2.AuditSummary) -> dict[str, Any]:
    try:
        found = json.loads(summary.model_metadata_json or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _metric(kind: str, value: float, slice_: str, interval: Any = None) -> dict[str, Any]:
    metric: dict[str, Any] = {"type": kind, "value": round(float(value), 6)}
    if slice_:
        metric["slice"] = slice_
    if interval is not None and (interval.low or interval.high):
        metric["confidence_interval"] = {"lower_bound": round(interval.low, 6), "upper_bound": round(interval.high, 6)}
    return metric


def _audit_metrics(summary: audit_pb2.AuditSummary, corpus: str) -> list[dict[str, Any]]:
    s, found = summary, []
    if s.labelled:
        found.append(_metric(ACCURACY, s.accuracy, corpus, s.accuracy_interval))
    if s.reliance_documents:
        found.append(_metric(FLIPS, s.reliance_flip_fraction, corpus, s.reliance_flip_fraction_interval))
        found.append(
            _metric(DECISIVE, s.reliance_decisive_flip_fraction, corpus, s.reliance_decisive_flip_fraction_interval)
        )
        found.append(_metric(DROP, s.mean_reliance_drop, corpus, s.mean_reliance_drop_interval))
    if s.control_documents:
        found.append(_metric(EXCESS, s.excess_flip_fraction.value, corpus, s.excess_flip_fraction.interval))
    for term in s.term_reliance:
        found.append(_metric(TERM_FLIPS, term.flip_fraction, f"{corpus}: {term.term}", term.flip_fraction_interval))
    if s.toxic_classes:
        found.append(_metric(AUC, s.toxic_auc, corpus, s.toxic_auc_interval))
        for bias in s.term_bias:
            for name, value, interval in (
                ("subgroup AUC", bias.subgroup_auc, bias.subgroup_auc_interval),
                ("BPSN AUC", bias.bpsn_auc, bias.bpsn_auc_interval),
                ("BNSP AUC", bias.bnsp_auc, bias.bnsp_auc_interval),
            ):
                if value == value:  # NaN: the subgroup lacks a class
                    found.append(_metric(name, value, f"{corpus}: {bias.term}", interval))
    if s.rationale_documents:
        found.append(_metric("rationale agreement: token F1", s.mean_rationale_token_f1, corpus))
        found.append(_metric("rationale agreement: AUPRC", s.mean_rationale_auprc, corpus))
    if s.substitution_documents:
        found.append(_metric(GAP, s.mean_substitution_gap, corpus, s.mean_substitution_gap_interval))
    return found


def _limitations(summary: audit_pb2.AuditSummary, corpus: str) -> list[str]:
    s, found = summary, []
    if reliance_found(s):
        found.append(
            f"On {corpus}, {s.reliance_flip_fraction * 100:.1f} % of {s.reliance_documents:,} predictions with a "
            f"forbidden word change without it ({s.confidence * 100:g} % CI "
            f"{s.reliance_flip_fraction_interval.low * 100:.1f} to "
            f"{s.reliance_flip_fraction_interval.high * 100:.1f} %): the model relies on words it must not."
        )
    relied = [t.term for t in s.term_reliance if t.finding == "relies"]
    if relied:
        found.append(f"On {corpus}, the model relies on these terms beyond the deletion control: {', '.join(relied)}.")
    few = [t.term for t in s.term_reliance if t.finding == "too few to conclude"]
    if few:
        found.append(f"On {corpus}, {len(few)} forbidden terms occur in too few documents to conclude about them.")
    if s.saliency_underreports_reliance:
        found.append("Saliency shares understate the model's reliance: judge it by removal (reliance), not saliency.")
    if s.out_of_vocabulary_terms:
        found.append(
            f"Forbidden terms outside the model's vocabulary (read as unknown words): "
            f"{', '.join(s.out_of_vocabulary_terms[:10])}."
        )
    failed = [g.description for g in s.gates if not g.passed]
    if failed:
        found.append(f"Gates not passed on {corpus}: {'; '.join(failed)}.")
    if s.truncated:
        found.append(f"On {corpus}, {s.truncated:,} documents were longer than the audit explained (truncated).")
    return found


def _manifest_sha256(folder: str) -> str:
    path = os.path.join(folder, outputs.MANIFEST_JSON)
    if not os.path.isfile(path):
        return ""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_model_card(
    folders: Sequence[str], owners: Sequence[str] = (), licenses: Sequence[str] = (), overview: str = ""
) -> dict[str, Any]:
    """The model card (Model Card Toolkit schema) of the model the audits in ``folders`` measured."""
    if not folders:
        raise InputError("a model card needs at least one audit folder")
    audits = [(folder, load_summary(folder)) for folder in folders]
    names = {(s.model_name, s.model_version) for _, s in audits}
    if len(names) > 1:
        listed = ", ".join(f"{n} v{v}" for n, v in sorted(names))
        raise InputError(f"the audits measured different models ({listed}): a model card describes one")
    summary = audits[-1][1]
    metadata = _metadata(summary)
    architecture, penalty = metadata.get("model") or {}, metadata.get("penalty") or {}
    training, data = metadata.get("training") or {}, metadata.get("training_data") or {}
    weights = {k: v for k, v in penalty.items() if k.endswith("_weight") and v}
    penalty_text = (
        f"{penalty.get('name', 'a')} penalty ({', '.join(f'{k} λ = {v:g}' for k, v in weights.items())})"
        if weights
        else "no penalty"
    )
    corpus_of = {
        folder: os.path.basename(s.input_path) or os.path.basename(os.path.normpath(folder)) for folder, s in audits
    }
    metrics = [
        _metric(f"training: {name}", value, "training / validation split")
        for name, value in sorted((metadata.get("metrics") or {}).items())
        if isinstance(value, int | float)
    ]
    limitations, datasets = [], []
    if data:
        datasets.append(
            {
                "name": os.path.basename(str(data.get("path", "training data"))),
                "description": f"training: {data.get('rows', '?')} rows, sha256 {data.get('sha256', 'not recorded')}",
            }
        )
    for folder, s in audits:
        metrics += _audit_metrics(s, corpus_of[folder])
        limitations += _limitations(s, corpus_of[folder])
        manifest = _manifest_sha256(folder)
        datasets.append(
            {
                "name": corpus_of[folder],
                "description": f"audit: {s.scored:,} documents, sha256 {s.input_sha256}; verdict {s.verdict}; "
                + (f"evidence: manifest.json sha256 {manifest}" if manifest else "no manifest (not verifiable)"),
            }
        )
    if not limitations:
        limitations.append(
            "The audits found no reliance on the forbidden words that holds up statistically; they "
            "measure only the listed words, on the audited corpora."
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "model_details": {
            "name": summary.model_name,
            "overview": overview
            or f"Text classifier over {metadata.get('max_tokens', '?')} tokens with classes "
            f"{', '.join(map(str, metadata.get('class_names') or []))}, trained with {penalty_text}.",
            "version": {"name": str(summary.model_version), "date": str(metadata.get("created_at", ""))[:10]},
            "owners": [{"name": owner} for owner in owners],
            "licenses": [{"identifier": identifier} for identifier in licenses],
            "references": [{"reference": os.path.abspath(os.path.join(f, outputs.REPORT_HTML))} for f, _ in audits],
        },
        "model_parameters": {
            "model_architecture": ", ".join(f"{k} {v}" for k, v in sorted(architecture.items()) if v is not None),
            "data": datasets,
            "input_format": f"UTF-8 text, at most {metadata.get('max_tokens', '?')} tokens a window",
            "output_format": "probabilities over the classes, and each token's saliency",
        },
        "quantitative_analysis": {"performance_metrics": metrics},
        "considerations": {
            "limitations": [{"description": text} for text in limitations],
            "tradeoffs": [
                {
                    "description": f"Trained with {penalty_text}, for {training.get('epochs', '?')} epochs "
                    f"(seed {training.get('seed', '?')})."
                }
            ],
        },
    }


def _value(metric: dict[str, Any]) -> str:
    kind = metric["type"]
    unit = UNITS.get(kind, "%" if kind.startswith("training:") and "accuracy" in kind else "")
    shown = percent if unit else (lambda v: f"{v:.4g}")
    interval = metric.get("confidence_interval")
    text = shown(metric["value"]) + (f" {unit}" if unit else "")
    return text + (f" ({shown(interval['lower_bound'])} to {shown(interval['upper_bound'])})" if interval else "")


def markdown_lines(card: dict[str, Any]) -> list[str]:
    details, parameters = card["model_details"], card["model_parameters"]
    lines = [f"# Model card: {md(details['name'])} v{md(details['version']['name'])}", "", md(details["overview"]), ""]
    lines += [
        "## Model",
        "",
        f"Architecture: {md(parameters['model_architecture'])}",
        "",
        f"Input: {md(parameters['input_format'])}; output: {md(parameters['output_format'])}",
        "",
    ]
    if details["owners"]:
        lines += [f"Owners: {md(', '.join(o['name'] for o in details['owners']))}", ""]
    lines += ["## Data", "", "| dataset | what it is |", "|---|---|"]
    lines += [f"| {md(d['name'])} | {md(d['description'])} |" for d in parameters["data"]]
    lines += ["", "## Limitations the audits found", ""]
    lines += [f"> {md(item['description'])}" for item in card["considerations"]["limitations"]]
    lines += ["", "## Measured", "", "| figure | slice | value (interval) |", "|---|---|---|"]
    lines += [
        f"| {md(m['type'])} | {md(m.get('slice', ''))} | {_value(m)} |"
        for m in card["quantitative_analysis"]["performance_metrics"]
    ]
    lines += ["", "## Trade-offs", ""] + [md(t["description"]) for t in card["considerations"]["tradeoffs"]]
    return lines


def html(card: dict[str, Any]) -> str:
    lines = markdown_lines(card)
    title = esc(f"Model card: {card['model_details']['name']} v{card['model_details']['version']['name']}")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{STYLE}</style></head><body><h1>{title}</h1>"
        + markdown_to_html(lines[1:])
        + "</body></html>"
    )


def write_model_card(out_dir: str, card: dict[str, Any]) -> None:
    """model_card.json, model_card.md and model_card.html into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    outputs.write_atomic(
        os.path.join(out_dir, "model_card.json"), json.dumps(card, indent=2, ensure_ascii=False) + "\n"
    )
    outputs.write_atomic(os.path.join(out_dir, "model_card.md"), "\n".join(markdown_lines(card)) + "\n")
    outputs.write_atomic(os.path.join(out_dir, "model_card.html"), html(card))
