"""From the values of the shared audit options to the engine's typed configuration (AuditOptions, AuditInputs,
gate limits), with the checks between options that click cannot express."""

import click

from audit_engine.evaluations import evaluation_options
from audit_engine.evaluations.reliance import Reliance
from audit_engine.options import AuditOptions, parse_class_list, parse_label_map
from audit_engine.summary import GATES
from cli_common.console import printable


def check_attribution(audit, attribution):
    """A gate on the saliency share cannot be judged without saliency: with --attribution none it would pass on 0."""
    from audit_engine.options import NO_ATTRIBUTION
    from audit_engine.summary import SHARE_GATES

    share_gates = [gate.flag for gate in SHARE_GATES if audit.get(gate.name) is not None]
    if attribution == NO_ATTRIBUTION and share_gates:
        raise click.BadParameter(
            "gates on the saliency share need saliency; drop --attribution none or gate on reliance",
            param_hint="/".join(share_gates),
        )


def check_audit_options(audit):
    """Usage errors among the audit options (before anything is read or loaded); folds the hidden former flag
    --occlusion into --reliance."""
    occlusion = audit.pop("occlusion", None)
    if occlusion is not None:
        audit["reliance"] = occlusion
    for option, key in (
        ("--text-column", "text_column"),
        ("--id-column", "id_column"),
        ("--label-column", "label_column"),
        ("--rationale-column", "rationale_column"),
    ):
        if audit[key] is not None and not audit[key].strip():
            raise click.BadParameter("must name a column, not be empty", param_hint=option)
    toxic = parse_class_list(audit["toxic_classes"])
    if toxic and not audit["label_column"]:
        raise click.BadParameter("needs --label-column", param_hint="--toxic-classes")
    reliance_gates = any(audit[gate.name] is not None for gate in Reliance.gates)
    if not audit["reliance"] and reliance_gates:
        raise click.BadParameter(
            "reliance gates need the reliance check; drop --no-reliance",
            param_hint="/".join(gate.flag for gate in Reliance.gates),
        )
    if not audit["control"] and audit["max_excess_flip_fraction"] is not None:
        raise click.BadParameter(
            "needs the deletion control; drop --no-control", param_hint="--max-excess-flip-fraction"
        )
    if not (audit["forbidden_path"] or audit["rationale_column"] or audit["substitutions_path"] or audit["discover"]):
        raise click.BadParameter(
            "nothing to audit: give --forbidden, --rationale-column, --substitutions or --discover",
            param_hint="--forbidden",
        )
    if not audit["forbidden_path"] and (
        toxic or reliance_gates or audit["fail_above"] is not None or audit["max_flagged_fraction"] is not None
    ):
        raise click.BadParameter(
            "per-term bias metrics and the reliance and share gates need --forbidden", param_hint="--forbidden"
        )
    pairs = label_pairs(audit)
    if pairs and not audit["label_column"]:
        raise click.BadParameter("needs --label-column", param_hint="--label-map")
    if pairs and {t for _, t in pairs} <= {"positive", "negative"} and not toxic:
        raise click.BadParameter(
            "a binary map needs --toxic-classes (the model classes whose probabilities make the positive score)",
            param_hint="--label-map",
        )
    if audit["candidates_path"] and not audit["discover"]:
        raise click.BadParameter("needs --discover", param_hint="--discover-candidates")
    if audit["discover"] and audit["redact"]:
        raise click.BadParameter(
            "discovery writes each measured word into the records, which --redact keeps out: drop one of them",
            param_hint="--discover",
        )
    if audit["discover"] and audit["discover_sample"] == 0:
        raise click.BadParameter(
            "a sample of 0 measures nothing: give a fraction above 0", param_hint="--discover-sample"
        )
    if audit["window_stride"] is not None and not audit["windows"]:
        raise click.BadParameter("has no effect with --no-windows", param_hint="--window-stride")
    from saliency_core.table import check_encoding

    check_encoding(audit["encoding"])


def label_pairs(audit):
    if not audit["label_map"]:
        return ()
    try:
        return parse_label_map(audit["label_map"])
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--label-map") from None


def input_paths(audit) -> list[str]:
    """The files besides the corpus that the audit options name (none may lie inside --out)."""
    named = ("forbidden_path", "substitutions_path", "candidates_path", "sign_key_path")
    return [audit[name] for name in named if audit[name]]


def load_audit_inputs(audit):
    """The AuditInputs (lexicon, substitution groups, discovery's candidates) the options name, with the
    lexicon's normalisation notes on stderr."""
    from audit_engine.evaluations import AuditInputs
    from saliency_core.lexicon import load_lexicon
    from saliency_core.substitutions import load_substitutions

    encoding = audit["encoding"]
    lexicon = (
        load_lexicon(audit["forbidden_path"], encoding, audit["strict_lexicon"]) if audit["forbidden_path"] else None
    )
    for note in (lexicon.notes if lexicon is not None else [])[:5]:
        click.echo(f"warning: lexicon: {printable(note)}", err=True)
    if lexicon is not None and len(lexicon.notes) > 5:
        click.echo(f"warning: lexicon: and {len(lexicon.notes) - 5} more entries changed or dropped", err=True)
    substitutions = load_substitutions(audit["substitutions_path"], encoding) if audit["substitutions_path"] else None
    candidates = load_lexicon(audit["candidates_path"], encoding) if audit["candidates_path"] else None
    return AuditInputs(lexicon, substitutions, candidates)


def audit_options_of(audit, attribution, **run):
    """The AuditOptions of checked audit options; ``run`` adds the runner's own (max_in_flight, ...)."""
    return AuditOptions(
        audit["text_column"],
        audit["id_column"],
        audit["label_column"],
        audit["batch_size"],
        threshold=audit["threshold"],
        top_k=audit["top_k"],
        redact=audit["redact"],
        strict=audit["strict"],
        encoding=audit["encoding"],
        rationale_column=audit["rationale_column"],
        toxic_classes=parse_class_list(audit["toxic_classes"]),
        reliance=audit["reliance"],
        evaluation_options=tuple((option.name, audit[option.name]) for option in evaluation_options()),
        confidence=audit["confidence"],
        inconclusive=audit["inconclusive"],
        attribution=attribution,
        label_map=label_pairs(audit),
        windows=audit["windows"],
        window_stride=audit["window_stride"],
        max_document_tokens=audit["max_document_tokens"],
        **run,
    )


def check_corpus(path, options):
    """Every check that needs no model runs before the model loads: the corpus is readable, its columns exist."""
    from saliency_core.table import RowReader

    with RowReader(path, options.required_columns, options.encoding, text_cap=options.max_document_tokens):
        pass


def gate_limits(audit):
    """{gate name: limit or None}, in the gates' order."""
    return {name: audit[name] for name in GATES}


def evidence_settings(audit, backend, command, corpus_files=()):
    """What the manifest records beyond the summary, with the signing key loaded and checked (before anything
    is read or written: a bad key is a usage error at the start, not after the audit)."""
    from audit_engine.manifest import EvidenceSettings, ModelSource
    from audit_engine.signing import load_signing_key

    key = load_signing_key(audit["sign_key_path"]) if audit.get("sign_key_path") else None
    return EvidenceSettings(
        command,
        tuple(corpus_files),
        ModelSource(backend.model_path, tuple(backend.servers)),
        gate_limits(audit),
        key,
    )
