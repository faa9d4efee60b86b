"""The options the audit commands share (audit-cli score, explain, status; audit-beam score), declared once, and
their checks. The values become the engine's typed configuration here (BackendConfig, AuditOptions)."""

import functools

import click

from audit_engine.options import DEFAULT_MAX_DOCUMENT_TOKENS, AuditOptions, parse_class_list, parse_label_map
from audit_engine.summary import GATES
from cli_common.console import printable, quiet_tensorflow
from cli_common.types import FiniteFloatRange, Fraction
from saliency_core import contract

unit_interval = Fraction()

BACKEND_PARAMETERS = (
    "servers",
    "model_path",
    "model_name",
    "model_version",
    "signature",
    "attribution",
    "deadline",
    "wait_for_server",
    "tls_ca",
    "tls_cert",
    "tls_key",
)


class GroupedCommand(click.Command):
    """A command whose --help lists its options in named sections (``option_groups``), then the rest."""

    option_groups: dict = {}

    def format_options(self, ctx, formatter):
        records = {
            param.name: param.get_help_record(ctx) for param in self.get_params(ctx) if isinstance(param, click.Option)
        }
        records = {name: record for name, record in records.items() if record}
        shown = set()
        for title, names in self.option_groups.items():
            rows = [records[name] for name in names if name in records]
            shown.update(names)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        rest = [record for name, record in records.items() if name not in shown]
        if rest:
            with formatter.section("Other options"):
                formatter.write_dl(rest)


class ScoreCommand(GroupedCommand):
    option_groups = {
        "Model": [
            "servers",
            "model_path",
            "model_name",
            "model_version",
            "attribution",
            "signature",
            "deadline",
            "wait_for_server",
            "tls_ca",
            "tls_cert",
            "tls_key",
        ],
        "Input": [
            "forbidden_path",
            "text_column",
            "id_column",
            "label_column",
            "label_map",
            "encoding",
            "strict",
            "strict_lexicon",
        ],
        "Evaluations (reliance first)": ["reliance", "substitutions_path", "rationale_column", "toxic_classes"],
        "Long documents": ["windows", "window_stride", "max_document_tokens"],
        "Gates (exit 1 when one fails)": [*GATES, "threshold"],
        "Output": ["out_dir", "top_k", "redact", "quiet", "batch_size", "max_in_flight"],
        "Resume": ["resume", "checkpoint_seconds"],
    }


MODEL_DIRECTORY = click.Path(exists=True, file_okay=False)


def backend_options(function, model_type=MODEL_DIRECTORY):
    """The model options of every command, passed to the command as one BackendConfig ``backend``.
    ``model_type``: what --model accepts (audit-beam also takes paths on remote file systems)."""
    options = [
        click.option(
            "--server",
            "servers",
            multiple=True,
            metavar="HOST:PORT",
            help="TF Serving / audit-serve gRPC address; repeat for client-side round-robin, "
            "or give one dns:/// target. Without it, --model runs in process.",
        ),
        click.option(
            "--model",
            "model_path",
            type=model_type,
            help="SavedModel version directory or model base path (embedded mode).",
        ),
        click.option(
            "--model-name", default="saliency_classifier", show_default=True, help="Model name on the server."
        ),
        click.option("--model-version", type=int, help="Pin a version on the server (default: latest)."),
        click.option(
            "--attribution",
            type=click.Choice(sorted(contract.ATTRIBUTION_SIGNATURES)),
            default="gradient",
            show_default=True,
            help="Attribution behind the saliency shares: the gradient (serving_default) or integrated "
            "gradients (contract 2 models).",
        ),
        click.option(
            "--signature",
            help="Signature returning probabilities and saliency (default: the --attribution's signature).",
        ),
        click.option(
            "--deadline",
            type=FiniteFloatRange(min=0.1, max=86400),
            default=60.0,
            show_default=True,
            help="Seconds per Predict call, retries included.",
        ),
        click.option(
            "--wait-for-server",
            type=FiniteFloatRange(min=0.0, max=86400),
            default=30.0,
            show_default=True,
            help="Seconds to wait for the server and its model to come up (e.g. started together by "
            "docker compose); says so on stderr while it waits.",
        ),
        click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False), help="CA of the server certificate."),
        click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (mTLS)."),
        click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Client key (mTLS)."),
    ]

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for name in BACKEND_PARAMETERS}
        if values["servers"] and values["model_path"]:
            raise click.BadParameter("give either --server or --model, not both", param_hint="--server")
        if not values["servers"] and not values["model_path"]:
            raise click.BadParameter("give --server HOST:PORT or --model PATH", param_hint="--server")
        attribution = values.pop("attribution")
        values["signature"] = values["signature"] or contract.ATTRIBUTION_SIGNATURES[attribution]
        values["servers"] = tuple(values["servers"])
        if values["model_path"]:  # the embedded model runs in TensorFlow; the gRPC client needs none
            try:
                quiet_tensorflow()
            except ImportError:
                raise click.BadParameter(
                    "an embedded model needs TensorFlow: pip install 'saliency-audit[model]', "
                    "or audit through a server with --server",
                    param_hint="--model",
                ) from None
        from audit_engine.backends.base import BackendConfig
        from audit_engine.backends.tf_serving import host_and_port

        for server in values["servers"]:  # a typo is a usage error, not a wait for a server that cannot exist
            try:
                host_and_port(server)
            except ValueError as error:
                raise click.BadParameter(f"{server!r}: {error}", param_hint="--server") from None
        return function(*args, backend=BackendConfig(**values), attribution=attribution, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


# What an audit measures and where it writes: shared by `audit-cli score` and `audit-beam score` (one definition,
# one validation: check_audit_options, load_audit_inputs, audit_options_of).
AUDIT_OPTIONS = [
    click.option(
        "--forbidden",
        "forbidden_path",
        type=click.Path(dir_okay=False),
        help="Lexicon: one word or phrase per line; '#' comments and blank lines ignored. Needed unless "
        "--rationale-column or --substitutions gives something else to audit.",
    ),
    click.option("--text-column", default="text", show_default=True),
    click.option("--id-column", help="Unique document id column (default: the row number)."),
    click.option("--label-column", help="True label column: copied into the records; accuracy in the summary."),
    click.option(
        "--label-map",
        metavar="LABEL=CLASS,...",
        help="Map corpus labels to model classes (e.g. 'pos=1,neg=0') or to a binary task "
        "(e.g. 'BAD=positive,NOT_BAD=negative', with --toxic-classes naming the model's positive "
        "side).",
    ),
    click.option(
        "--rationale-column",
        help="Per-word human rationale (0/1 string or JSON [start, end) spans): ERASER token F1 and AUPRC.",
    ),
    click.option(
        "--toxic-classes",
        help="Comma-separated class names forming the positive side of a binary task: "
        "with --label-column, per-term bias AUCs (subgroup, BPSN, BNSP, pinned).",
    ),
    click.option(
        "--reliance/--no-reliance",
        default=True,
        show_default=True,
        help="Predict each document without its forbidden terms, and without each term alone (one more "
        "cheap `predict` call per batch). The report's headline; gradient saliency can miss it.",
    ),
    # The flag's former name, kept for one release.
    click.option("--occlusion/--no-occlusion", "occlusion", default=None, hidden=True),
    click.option(
        "--substitutions",
        "substitutions_path",
        type=click.Path(dir_okay=False),
        help="Substitution groups, one per line, comma-separated: the counterfactual token fairness gap "
        "(|change of p(predicted)| when a term is replaced by a substitute).",
    ),
    click.option(
        "--out",
        "out_dir",
        default="audit-output",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Output folder (its old outputs are replaced).",
    ),
    click.option("--batch-size", type=click.IntRange(1, 65536), default=64, show_default=True),
    click.option(
        "--threshold",
        type=unit_interval,
        default=0.5,
        show_default=True,
        help="A document is flagged when its forbidden share is >= this.",
    ),
    *(click.option(gate.flag, gate.name, type=unit_interval, help=gate.help) for gate in GATES.values()),
    click.option(
        "--top-k",
        type=click.IntRange(0, 1000),
        default=5,
        show_default=True,
        help="Most salient tokens kept per record.",
    ),
    click.option("--redact", is_flag=True, help="Write no document text anywhere (ids, hashes, terms, scores only)."),
    click.option("--strict", is_flag=True, help="Empty text is an error instead of a skipped record."),
    click.option(
        "--strict-lexicon",
        is_flag=True,
        help="A lexicon entry that the model's normalisation changes (e.g. 'U.S.' -> 'us') or drops is an "
        "error instead of a warning.",
    ),
    click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the corpus and the lexicon."),
    click.option(
        "--windows/--no-windows",
        default=True,
        show_default=True,
        help="Explain a text longer than the model's T tokens in overlapping windows of T tokens, so every "
        "token is explained; --no-windows explains the first T tokens only (the record says "
        "truncated).",
    ),
    click.option(
        "--window-stride",
        type=click.IntRange(1),
        metavar="TOKENS",
        help="Tokens between window starts, at most T (default: the stride the model was trained with, "
        "else 7/8 of T: windows overlap by T/8).",
    ),
    click.option(
        "--max-document-tokens",
        type=click.IntRange(1),
        default=DEFAULT_MAX_DOCUMENT_TOKENS,
        metavar="TOKENS",
        show_default=True,
        help="Hard cap per document: tokens beyond it are not explained and the record says truncated.",
    ),
]


def audit_options(function):
    """Decorate a command with AUDIT_OPTIONS; it receives them as keyword arguments (``**audit``)."""
    for option in reversed(AUDIT_OPTIONS):
        function = option(function)
    return function


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
    reliance_gates = audit["max_flip_fraction"] is not None or audit["max_mean_drop"] is not None
    if not audit["reliance"] and reliance_gates:
        raise click.BadParameter(
            "reliance gates need the reliance check; drop --no-reliance",
            param_hint="--max-flip-fraction/--max-mean-drop",
        )
    if not (audit["forbidden_path"] or audit["rationale_column"] or audit["substitutions_path"]):
        raise click.BadParameter(
            "nothing to audit: give --forbidden, --rationale-column or --substitutions", param_hint="--forbidden"
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


def load_audit_inputs(audit):
    """The AuditInputs (lexicon, substitution groups) the options name, with the lexicon's normalisation notes on
    stderr."""
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
    return AuditInputs(lexicon, substitutions)


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
