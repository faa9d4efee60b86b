"""The options the audit commands share (audit-cli score, explain, status; audit-beam score), declared once; the
model options become a BackendConfig here, the audit options the engine's AuditOptions in audit_cli.settings."""

import functools

import click

from audit_engine.evaluations import EvaluationOption, evaluation_options
from audit_engine.options import (
    DEFAULT_MAX_DOCUMENT_TOKENS,
    INCONCLUSIVE_POLICIES,
)
from audit_engine.summary import GATES
from cli_common.console import quiet_tensorflow
from cli_common.types import FiniteFloatRange, Fraction
from saliency_core import contract

unit_interval = Fraction()


def evaluation_option(option: EvaluationOption):
    """The click option of an evaluation's own option (declared on its class: Evaluation.options)."""
    if option.kind == "flag":
        return click.option(f"{option.flag}/--no-{option.flag[2:]}", option.name, default=option.default,
                            show_default=True, help=option.help)  # fmt: skip
    kind = {"fraction": unit_interval, "text": str}[option.kind]
    return click.option(option.flag, option.name, type=kind, default=option.default, show_default=True,
                        help=option.help)  # fmt: skip


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
        "Evaluations (reliance first)": [
            "reliance",
            *(option.name for option in evaluation_options()),
            "substitutions_path",
            "rationale_column",
            "toxic_classes",
        ],
        "Long documents": ["windows", "window_stride", "max_document_tokens"],
        "Gates (exit 1 when one fails)": [*GATES, "threshold", "confidence", "inconclusive"],
        "Output": ["out_dir", "sign_key_path", "top_k", "redact", "quiet", "batch_size", "max_in_flight"],
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
    *(evaluation_option(option) for option in evaluation_options()),
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
    click.option(
        "--sign-key",
        "sign_key_path",
        type=click.Path(dir_okay=False),
        metavar="KEY.pem",
        help="Ed25519 private key (PEM; audit-cli keygen or openssl genpkey -algorithm ed25519) that signs "
        "manifest.json as an in-toto statement in a DSSE envelope (manifest.dsse.json). An encrypted key takes "
        "its passphrase from SALIENCY_AUDIT_KEY_PASSPHRASE. The key is never written into the outputs.",
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
        "--confidence",
        type=click.FloatRange(0.5, 0.999),
        default=0.95,
        show_default=True,
        help="Confidence of every interval and test. A gate passes when its interval lies within the limit, "
        "fails when it lies beyond, and is INCONCLUSIVE when it holds the limit.",
    ),
    click.option(
        "--inconclusive",
        type=click.Choice(INCONCLUSIVE_POLICIES),
        default="fail",
        show_default=True,
        help="What an INCONCLUSIVE gate does to the exit code: fail (exit 1, as a CI gate should) or pass.",
    ),
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


def audit_folders(out_default, written):
    """The AUDITS argument (folders, or quoted globs) and the --out folder of the commands that read finished
    audits (history, model-card)."""

    def decorate(function):
        function = click.option(
            "--out",
            "out_dir",
            default=out_default,
            show_default=True,
            type=click.Path(file_okay=False),
            help=f"Where {written} go.",
        )(function)
        return click.argument("audits", nargs=-1, required=True)(function)

    return decorate
