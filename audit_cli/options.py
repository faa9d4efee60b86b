"""The options the audit commands share (audit-cli score, explain, status; audit-beam score), declared once; the
model options become a BackendConfig here, the audit options the engine's AuditOptions in audit_cli.settings."""

import click

from audit_engine.evaluations import EvaluationOption, evaluation_options
from audit_engine.options import (
    DEFAULT_MAX_DOCUMENT_TOKENS,
    INCONCLUSIVE_POLICIES,
)
from audit_engine.summary import GATES
from cli_common.types import Fraction

unit_interval = Fraction()


def evaluation_option(option: EvaluationOption):
    """The click option of an evaluation's own option (declared on its class: Evaluation.options)."""
    if option.kind == "flag":
        return click.option(f"{option.flag}/--no-{option.flag[2:]}", option.name, default=option.default,
                            show_default=True, help=option.help)  # fmt: skip
    kind = {"fraction": unit_interval, "count": click.IntRange(min=1), "text": str}[option.kind]
    metavar = {"count": "N"}.get(option.kind)
    return click.option(option.flag, option.name, type=kind, default=option.default, show_default=True,
                        metavar=metavar, help=option.help)  # fmt: skip


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
            "protocol",
            "attribution",
            "occlusion_words",
            "signature",
            "input_name",
            "output_name",
            "class_names",
            "logits",
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
            "candidates_path",
            "substitutions_path",
            "rationale_column",
            "toxic_classes",
        ],
        "Long documents": ["windows", "window_stride", "max_document_tokens"],
        "Gates (exit 1 when one fails)": [*GATES, "threshold", "confidence", "inconclusive"],
        "Output": ["out_dir", "sign_key_path", "top_k", "redact", "quiet", "batch_size", "max_in_flight"],
        "Resume": ["resume", "checkpoint_seconds"],
    }


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
        "--discover-candidates",
        "candidates_path",
        type=click.Path(dir_okay=False),
        help="With --discover: measure only these words and phrases (one per line, as the lexicon), not every "
        "word of the sampled documents.",
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
