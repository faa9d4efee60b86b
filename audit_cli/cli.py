"""audit-cli: a thin command-line layer over audit_cli's library functions."""

import contextlib
import functools
import os
import signal
import sys
import threading
import time

import click

from audit_cli.compare import METRICS as COMPARISON_METRICS
from audit_cli.windows import DEFAULT_MAX_DOCUMENT_TOKENS
from saliency_core import contract
from saliency_core.cli_types import FiniteFloatRange
from saliency_core.errors import DEBUG_ENV, exit_on_input_error

# TensorFlow, gRPC and the model code load only in the commands that need them (score, explain, status), so
# that --help and compare start fast; TensorFlow's C++ start-up logging stays off unless --verbose asks for it.
VERBOSE_ENV = "SALIENCY_AUDIT_VERBOSE"


def quiet_tensorflow():
    """Import TensorFlow with its C++ start-up lines out of the user's terminal (unless --verbose).

    TF_CPP_MIN_LOG_LEVEL does not silence the absl lines printed at import (tensorflow/tensorflow#100442), so
    file descriptor 2 points at /dev/null while TensorFlow imports; a failing import still raises as usual."""
    if os.environ.get(VERBOSE_ENV) or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with stderr_to(os.devnull):
        import tensorflow  # noqa: F401


@contextlib.contextmanager
def stderr_to(path):
    """File descriptor 2 (this process's, and that of the processes it starts) points at ``path`` meanwhile."""
    sys.stderr.flush()
    saved, target = os.dup(2), os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def set_verbosity(verbose, debug):
    """The top-level --verbose / --debug flags, for every command of the process (and its workers)."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"
    if debug:
        os.environ[DEBUG_ENV] = "1"


EXIT_GATE_FAILED = 1
EXIT_SERVER_FAILED = 3

unit_interval = FiniteFloatRange(0.0, 1.0)


BACKEND_PARAMETERS = ("servers", "model_path", "model_name", "model_version", "signature", "attribution", "deadline",
                      "wait_for_server", "tls_ca", "tls_cert", "tls_key")


class GroupedCommand(click.Command):
    """A command whose --help lists its options in named sections (SCORE_OPTION_GROUPS), then the rest."""

    option_groups = {}

    def format_options(self, ctx, formatter):
        records = {param.name: param.get_help_record(ctx) for param in self.get_params(ctx)
                   if isinstance(param, click.Option)}
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
        "Model": ["servers", "model_path", "model_name", "model_version", "attribution", "signature", "deadline",
                  "wait_for_server", "tls_ca", "tls_cert", "tls_key"],
        "Input": ["forbidden_path", "text_column", "id_column", "label_column", "label_map", "encoding", "strict",
              "strict_lexicon"],
        "Evaluations (reliance first)": ["occlusion", "substitutions_path", "rationale_column", "toxic_classes"],
        "Long documents": ["windows", "window_stride", "max_document_tokens"],
        "Gates (exit 1 when one fails)": ["max_flip_fraction", "max_mean_drop", "fail_above", "max_flagged_fraction",
                                          "threshold"],
        "Output": ["out_dir", "top_k", "redact", "quiet", "batch_size", "max_in_flight"],
        "Resume": ["resume", "checkpoint_seconds"],
    }


MODEL_DIRECTORY = click.Path(exists=True, file_okay=False)


def backend_options(function, model_type=MODEL_DIRECTORY):
    """The model options of every command, passed to the command as one BackendConfig ``backend``.
    ``model_type``: what --model accepts (audit-beam also takes paths on remote file systems)."""
    options = [
        click.option("--server", "servers", multiple=True, metavar="HOST:PORT",
                     help="TF Serving / audit-serve gRPC address; repeat for client-side round-robin, "
                          "or give one dns:/// target. Without it, --model runs in process."),
        click.option("--model", "model_path", type=model_type,
                     help="SavedModel version directory or model base path (embedded mode)."),
        click.option("--model-name", default="saliency_classifier", show_default=True,
                     help="Model name on the server."),
        click.option("--model-version", type=int, help="Pin a version on the server (default: latest)."),
        click.option("--attribution", type=click.Choice(sorted(contract.ATTRIBUTION_SIGNATURES)), default="gradient",
                     show_default=True,
                     help="Attribution behind the saliency shares: the gradient (serving_default) or integrated "
                          "gradients (contract 2 models).")
        ,
        click.option("--signature", help="Signature returning probabilities and saliency (default: the "
                                         "--attribution's signature).")
        ,
        click.option("--deadline", type=FiniteFloatRange(min=0.1, max=86400), default=60.0, show_default=True,
                     help="Seconds per Predict call, retries included."),
        click.option("--wait-for-server", type=FiniteFloatRange(min=0.0, max=86400), default=30.0, show_default=True,
                     help="Seconds to wait for the server and its model to come up (e.g. started together by "
                          "docker compose); says so on stderr while it waits."),
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
                raise click.BadParameter("an embedded model needs TensorFlow: pip install 'saliency-audit[model]', "
                                         "or audit through a server with --server", param_hint="--model") from None
        from audit_cli.backends import BackendConfig, host_and_port
        for server in values["servers"]:  # a typo is a usage error, not a wait for a server that cannot exist
            try:
                host_and_port(server)
            except ValueError as error:
                raise click.BadParameter(f"{server!r}: {error}", param_hint="--server") from None
        return function(*args, backend=BackendConfig(**values), attribution=attribution, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


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
        if fraction > 0:
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
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show TensorFlow's start-up logging and warnings.")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of one line.")
def main(verbose, debug):
    """Audit whether a text classifier relies on forbidden words: reliance (what removing them does to each
    prediction) first, saliency share second."""
    set_verbosity(verbose, debug)


# What an audit measures and where it writes: shared by `audit-cli score` and `audit-beam score` (one definition,
# one validation: check_audit_options, load_audit_inputs, score_options).
AUDIT_OPTIONS = [
    click.option("--forbidden", "forbidden_path", type=click.Path(dir_okay=False),
                  help="Lexicon: one word or phrase per line; '#' comments and blank lines ignored. Needed unless "
                       "--rationale-column or --substitutions gives something else to audit."),
    click.option("--text-column", default="text", show_default=True),
    click.option("--id-column", help="Unique document id column (default: the row number)."),
    click.option("--label-column", help="True label column: copied into the records; accuracy in the summary."),
    click.option("--label-map", metavar="LABEL=CLASS,...",
                  help="Map corpus labels to model classes (e.g. 'pos=1,neg=0') or to a binary task "
                       "(e.g. 'BAD=positive,NOT_BAD=negative', with --toxic-classes naming the model's positive side)."),
    click.option("--rationale-column",
                  help="Per-word human rationale (0/1 string or JSON [start, end) spans): ERASER token F1 and AUPRC."),
    click.option("--toxic-classes", help="Comma-separated class names forming the positive side of a binary task: "
                                          "with --label-column, per-term bias AUCs (subgroup, BPSN, BNSP, pinned)."),
    click.option("--occlusion/--no-occlusion", default=True, show_default=True,
                  help="Reliance: predict each document without its forbidden terms, and without each term alone (one "
                       "more cheap `predict` call per batch). The report's headline; gradient saliency can miss it."),
    click.option("--substitutions", "substitutions_path", type=click.Path(dir_okay=False),
                  help="Substitution groups, one per line, comma-separated: the counterfactual token fairness gap "
                       "(|change of p(predicted)| when a term is replaced by a substitute)."),
    click.option("--out", "out_dir", default="audit-output", show_default=True, type=click.Path(file_okay=False),
                  help="Output folder (its old outputs are replaced)."),
    click.option("--batch-size", type=click.IntRange(1, 65536), default=64, show_default=True),
    click.option("--threshold", type=unit_interval, default=0.5, show_default=True,
                  help="A document is flagged when its forbidden share is >= this."),
    click.option("--max-flip-fraction", type=unit_interval,
                  help="Gate: fail (exit 1) when more than this fraction of predictions (of documents with a forbidden "
                       "word) changes without the forbidden words."),
    click.option("--max-mean-drop", type=unit_interval,
                  help="Gate: fail (exit 1) when the mean drop of p(predicted) without the forbidden words exceeds this."),
    click.option("--fail-above", type=unit_interval,
                  help="Gate: fail (exit 1) when the mean forbidden share of documents with a forbidden term exceeds this."),
    click.option("--max-flagged-fraction", type=unit_interval,
                  help="Gate: fail (exit 1) when more than this fraction of scored documents is flagged."),
    click.option("--top-k", type=click.IntRange(0, 1000), default=5, show_default=True,
                  help="Most salient tokens kept per record."),
    click.option("--redact", is_flag=True, help="Write no document text anywhere (ids, hashes, terms, scores only)."),
    click.option("--strict", is_flag=True, help="Empty text is an error instead of a skipped record."),
    click.option("--strict-lexicon", is_flag=True,
                  help="A lexicon entry that the model's normalisation changes (e.g. 'U.S.' -> 'us') or drops is an "
                       "error instead of a warning."),
    click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the corpus and the lexicon."),
    click.option("--windows/--no-windows", default=True, show_default=True,
                  help="Explain a text longer than the model's T tokens in overlapping windows of T tokens, so every "
                       "token is explained; --no-windows explains the first T tokens only (the record says "
                       "truncated)."),
    click.option("--window-stride", type=click.IntRange(1), metavar="TOKENS",
                  help="Tokens between window starts, at most T (default: the stride the model was trained with, "
                       "else 7/8 of T: windows overlap by T/8)."),
    click.option("--max-document-tokens", type=click.IntRange(1), default=DEFAULT_MAX_DOCUMENT_TOKENS,
                  metavar="TOKENS", show_default=True,
                  help="Hard cap per document: tokens beyond it are not explained and the record says truncated."),
]


def audit_options(function):
    for option in reversed(AUDIT_OPTIONS):
        function = option(function)
    return function


@main.command(cls=ScoreCommand)
@click.argument("corpus", type=click.Path(dir_okay=False))
@backend_options
@audit_options
@click.option("--max-in-flight", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Predict requests outstanding at once.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--checkpoint-seconds", type=FiniteFloatRange(min=0.0), default=2.0, show_default=True,
              help="How often committed records are made durable for --resume.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run in --out from its last checkpoint (same input, model and options).")
@exit_on_input_error
def score(corpus, backend, attribution, max_in_flight, quiet, checkpoint_seconds, resume, **audit):
    """Audit every document of CORPUS (CSV or JSONL) and write records.jsonl, records.csv,
    summary.json, report.md and report.html to --out.

    Reliance comes first: each document is also predicted without its forbidden words (--no-occlusion
    turns that off), and the verdict, console and report lead with how many predictions change.

    \b
    Examples:
      audit-cli score corpus.csv --server localhost:8500 --forbidden forbidden.txt --max-flip-fraction 0.02
      audit-cli score corpus.csv --model models/m --forbidden identity.txt --substitutions groups.txt
      audit-cli score corpus.csv --model models/m --forbidden f.txt --attribution integrated-gradients

    Exit codes: 0 gates pass, 1 a gate failed, 2 usage or input error, 3 the server failed past its
    retry budget (resume with --resume), 4 the machine refused (disk full, read-only), 70 internal error,
    130/143 stopped by SIGINT/SIGTERM (resume with --resume).
    """
    from audit_cli.backends import ServerError, open_backend
    from audit_cli.outputs import claim_out_dir
    from audit_cli.score import AuditInterrupted, score_corpus
    check_audit_options(audit)
    out_dir = audit["out_dir"]
    out_lock = claim_out_dir(out_dir, [p for p in (corpus, audit["forbidden_path"], audit["substitutions_path"])
                                       if p], resume)
    lexicon, substitutions = load_audit_inputs(audit)
    options = score_options(audit, attribution, max_in_flight=max_in_flight, checkpoint_seconds=checkpoint_seconds)
    check_corpus(corpus, options)
    backend = open_backend(backend, on_wait=say_waiting)
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.signal_number = signum
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        gates = gate_limits(audit)
        progress = Progress(not quiet)
        try:
            summary, passed = score_corpus(corpus, backend, lexicon, out_dir, options, gates, progress,
                                           resume=resume, stop=stop, substitutions=substitutions)
        finally:
            progress.finish()
    except ServerError as error:
        click.echo(f"error: the server failed and retries did not help: {error}. Committed records are kept in "
                   f"{out_dir} (marked INCOMPLETE); when the server is back, rerun the same command with --resume.",
                   err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    except AuditInterrupted as interrupted:
        click.echo(f"stopped by signal {interrupted.signal_number}: committed records are kept in {out_dir} "
                   "(marked INCOMPLETE); rerun the same command with --resume to continue.", err=True)
        raise SystemExit(128 + interrupted.signal_number) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        backend.close()
        out_lock.close()
    for line in console_summary(summary, out_dir):
        click.echo(line)
    if not passed:
        raise SystemExit(EXIT_GATE_FAILED)


def check_audit_options(audit):
    """Usage errors among the audit options (before anything is read or loaded)."""
    for option, key in (("--text-column", "text_column"), ("--id-column", "id_column"),
                        ("--label-column", "label_column"), ("--rationale-column", "rationale_column")):
        if audit[key] is not None and not audit[key].strip():
            raise click.BadParameter("must name a column, not be empty", param_hint=option)
    toxic = toxic_classes(audit)
    if toxic and not audit["label_column"]:
        raise click.BadParameter("needs --label-column", param_hint="--toxic-classes")
    reliance_gates = audit["max_flip_fraction"] is not None or audit["max_mean_drop"] is not None
    if not audit["occlusion"] and reliance_gates:
        raise click.BadParameter("reliance gates need the reliance check; drop --no-occlusion",
                                 param_hint="--max-flip-fraction/--max-mean-drop")
    if not (audit["forbidden_path"] or audit["rationale_column"] or audit["substitutions_path"]):
        raise click.BadParameter("nothing to audit: give --forbidden, --rationale-column or --substitutions",
                                 param_hint="--forbidden")
    if not audit["forbidden_path"] and (toxic or reliance_gates or audit["fail_above"] is not None
                                        or audit["max_flagged_fraction"] is not None):
        raise click.BadParameter("per-term bias metrics and the reliance and share gates need --forbidden",
                                 param_hint="--forbidden")
    pairs = label_pairs(audit)
    if pairs and not audit["label_column"]:
        raise click.BadParameter("needs --label-column", param_hint="--label-map")
    if pairs and {t for _, t in pairs} <= {"positive", "negative"} and not toxic:
        raise click.BadParameter("a binary map needs --toxic-classes (the model classes whose probabilities "
                                 "make the positive score)", param_hint="--label-map")
    if audit["window_stride"] is not None and not audit["windows"]:
        raise click.BadParameter("has no effect with --no-windows", param_hint="--window-stride")
    from saliency_core.table import check_encoding
    check_encoding(audit["encoding"])


def toxic_classes(audit):
    value = audit["toxic_classes"]
    return tuple(c.strip() for c in value.split(",") if c.strip()) if value else ()


def label_pairs(audit):
    return parse_label_map(audit["label_map"]) if audit["label_map"] else ()


def load_audit_inputs(audit):
    """(lexicon or None, substitution groups or None), with the lexicon's normalisation notes on stderr."""
    from saliency_core.lexicon import load_lexicon
    from saliency_core.substitutions import load_substitutions
    encoding = audit["encoding"]
    lexicon = load_lexicon(audit["forbidden_path"], encoding, audit["strict_lexicon"]) \
        if audit["forbidden_path"] else None
    for note in (lexicon.notes if lexicon is not None else [])[:5]:
        click.echo(f"warning: lexicon: {note}", err=True)
    if lexicon is not None and len(lexicon.notes) > 5:
        click.echo(f"warning: lexicon: and {len(lexicon.notes) - 5} more entries changed or dropped", err=True)
    substitutions = load_substitutions(audit["substitutions_path"], encoding) if audit["substitutions_path"] \
        else None
    return lexicon, substitutions


def score_options(audit, attribution, **run):
    """The ScoreOptions of checked audit options; ``run`` adds the runner's own (max_in_flight, ...)."""
    from audit_cli.score import ScoreOptions
    return ScoreOptions(audit["text_column"], audit["id_column"], audit["label_column"], audit["batch_size"],
                        threshold=audit["threshold"], top_k=audit["top_k"], redact=audit["redact"],
                        strict=audit["strict"], encoding=audit["encoding"],
                        rationale_column=audit["rationale_column"], toxic_classes=toxic_classes(audit),
                        occlusion=audit["occlusion"], attribution=attribution, label_map=label_pairs(audit),
                        windows=audit["windows"], window_stride=audit["window_stride"],
                        max_document_tokens=audit["max_document_tokens"], **run)


def check_corpus(path, options):
    """Every check that needs no model runs before the model loads: the corpus is readable, its columns exist."""
    from saliency_core.table import RowReader
    with RowReader(path, options.required_columns, options.encoding):
        pass


def gate_limits(audit):
    return {name: audit[name] for name in ("max_flip_fraction", "max_mean_drop", "fail_above",
                                           "max_flagged_fraction")}


def say_waiting(message):
    click.echo(f"{message}…", err=True)


def parse_label_map(value):
    """'a=x,b=y' -> (('a', 'x'), ('b', 'y')); a usage error names the malformed entry."""
    pairs = []
    for entry in value.split(","):
        source, separator, target = entry.partition("=")
        if not separator or not source.strip() or not target.strip():
            raise click.BadParameter(f"expected LABEL=CLASS pairs separated by commas, got {entry!r}",
                                     param_hint="--label-map")
        pairs.append((source.strip(), target.strip()))
    if len({s for s, _ in pairs}) != len(pairs):
        raise click.BadParameter("a label is mapped twice", param_hint="--label-map")
    return tuple(pairs)


def console_summary(summary, out_dir):
    """The run's summary for the terminal: verdict, reliance, then saliency, gates and where the outputs are."""
    from audit_cli.report import coverage_note, warning_lines
    from audit_cli.summary import percent, reliance_sentence
    d = summary.share_distribution
    lines = [f"verdict: {summary.verdict}: {summary.verdict_reason}", *warning_lines(summary)]
    if summary.occlusion_documents:
        lines.append("reliance: " + reliance_sentence(summary))
        for term in summary.term_reliance[:5]:
            lines.append(f"  {term.term}: {term.documents} documents, mean drop {percent(term.mean_drop)} points, "
                         f"{term.flip_fraction * 100:.1f} % flip")
    if summary.substitution_documents:
        lines.append(f"substitution: mean gap {summary.mean_substitution_gap * 100:.1f} points over "
                     f"{summary.substitution_documents} documents, {summary.substitution_flipped} flip")
    lines.append(f"{summary.attribution} saliency: mean forbidden share {d.mean:.4f} (p90 {d.p90:.4f}) over "
                 f"{d.documents} documents with a forbidden word; {summary.flagged} flagged")
    if summary.saliency_underreports_reliance:
        lines.append(f"note: {summary.attribution} saliency under-reports reliance on this model: trust the "
                     "reliance figures above")
    for gate in summary.gates:
        lines.append(f"gate {gate.name}: observed {gate.observed:.4f}, limit {gate.limit:g}: "
                     f"{'pass' if gate.passed else 'FAIL'}")
    if note := coverage_note(summary):
        lines.append(note)
    lines.append(f"{summary.scored} scored, {summary.skipped} skipped, {summary.with_forbidden_terms} with forbidden "
                 f"words; {summary.documents_per_second:,.0f} docs/s; outputs in {out_dir}")
    return lines


@main.command()
@click.argument("text")
@backend_options
@click.option("--forbidden", "forbidden_path", type=click.Path(dir_okay=False), help="Lexicon to match.")
@click.option("--color/--no-color", default=None, help="Colour tokens by saliency (default: on a terminal).")
@exit_on_input_error
def explain(text, backend, attribution, forbidden_path, color):
    """Explain one TEXT: each token's share of the saliency, and what removing each forbidden term does."""
    from audit_cli.backends import ServerError, open_backend
    from audit_cli.document import CorpusRow, Explanation, RecordSettings, audit_document
    from audit_cli.evaluations import Batch, Reliance
    from audit_cli.summary import percent
    from audit_cli.windows import WindowConfig, windowed
    from saliency_core.lexicon import load_lexicon
    from saliency_core.text import tokenize_all
    lexicon = load_lexicon(forbidden_path) if forbidden_path else None
    backend = open_backend(backend, on_wait=say_waiting)
    document = CorpusRow(1, "1", text)
    try:
        metadata = backend.metadata()
        backend, _ = windowed(backend, WindowConfig(), metadata)
        outputs = backend.explain([text])
        reliance = Reliance(lexicon) if lexicon is not None else None
        explanation = Explanation.at(outputs, 0)
        prepared = reliance.prepare(backend, Batch([text], tokenize_all([text]), outputs, 0)) if reliance else None
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    finally:
        backend.close()
    record = audit_document(document, explanation,
                            RecordSettings(metadata["class_names"], lexicon, top_k=len(explanation.saliency)))
    if reliance is not None:
        reliance.annotate(record, prepared, 0, document, explanation)
    by_position = {t.position: t for t in record.top_tokens}
    total = record.saliency_mass or 1.0
    top = max((t.saliency for t in record.top_tokens), default=0.0) or 1.0
    use_color = sys.stdout.isatty() if color is None else color
    pieces = []
    for position in range(record.explained_tokens):
        token = by_position[position]
        label = f"{token.token}({token.saliency / total * 100:.1f}%)"
        if use_color:
            level = token.saliency / top
            label = click.style(label, fg="red" if token.forbidden else None, bold=level > 0.5,
                                bg="yellow" if level > 0.75 else None)
        elif token.forbidden:
            label = f"[{label}]"
        pieces.append(label)
    click.echo(" ".join(pieces))
    click.echo(f"predicted {record.predicted_label} (p = {record.confidence:.3f}); forbidden words hold "
               f"{record.forbidden_share * 100:.1f} % of the {attribution} saliency"
               + (f"; explained in {record.windows} windows" if record.windows else "")
               + ("; truncated: tokens beyond the cap not explained" if record.truncated else ""))
    if record.occluded:
        click.echo(f"without every forbidden word: p({record.predicted_label}) drops by "
                   f"{percent(record.occlusion_drop)} points" + ("; the prediction changes" if record.occlusion_flips
                                                                  else "; the prediction stays"))
        for item in record.term_reliance:
            click.echo(f"  without {item.term!r}: drop {percent(item.drop)} points"
                       + (", prediction changes" if item.flips else ""))


@main.command()
@backend_options
@exit_on_input_error
def status(backend, attribution):
    """Model status, signatures and training metadata from the server (or the embedded model)."""
    from audit_cli.backends import GrpcBackend, ServerError, open_backend
    model_name = backend.model_name
    backend = open_backend(backend, on_wait=say_waiting)
    try:
        if isinstance(backend, GrpcBackend):
            for status_entry in backend.model_status().model_version_status:
                click.echo(f"model {model_name} version {status_entry.version}: "
                           f"{status_entry.State.Name(status_entry.state)}")
            version, signatures = backend.signature_defs()
        else:
            version, signatures = backend.loaded_version, backend.model.signature_defs
            click.echo(f"model {backend.model_name} version {version}: loaded in process from {backend.export_dir}")
        for name, signature_def in sorted(signatures.items()):
            if name.startswith("__"):
                continue
            inputs = ", ".join(f"{k}" for k in sorted(signature_def.inputs))
            outs = ", ".join(sorted(signature_def.outputs))
            click.echo(f"signature {name}: ({inputs}) -> ({outs})")
        metadata = backend.metadata()
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    finally:
        backend.close()
    for key in ("class_names", "max_tokens", "contract_version", "penalty", "created_at"):
        click.echo(f"{key}: {metadata.get(key)}")
    click.echo(f"training data sha256: {metadata.get('training_data', {}).get('sha256')}")
    click.echo(f"metrics: {metadata.get('metrics')}")


def parse_changes(values, option):
    pairs = []
    for value in values:
        name, separator, amount = value.partition("=")
        try:
            limit = float(amount)
        except ValueError:
            limit = float("nan")
        if not separator or name not in COMPARISON_METRICS or not (limit >= 0 and limit != float("inf")):
            raise click.BadParameter(f"expected METRIC=AMOUNT with METRIC in {sorted(COMPARISON_METRICS)} and a "
                                     f"finite AMOUNT >= 0, got {value!r}", param_hint=option)
        pairs.append((name, limit))
    return tuple(pairs)


@main.command()
@click.argument("baseline", type=click.Path(file_okay=False))
@click.argument("candidate", type=click.Path(file_okay=False))
@click.option("--out", "out_dir", default="audit-compare", show_default=True, type=click.Path(file_okay=False))
@click.option("--max-increase", multiple=True, metavar="METRIC=AMOUNT",
              help="Fail (exit 1) when the candidate's METRIC exceeds the baseline's by more than AMOUNT (a "
                   "fraction, e.g. flip_fraction=0.01). Repeatable.")
@click.option("--max-decrease", multiple=True, metavar="METRIC=AMOUNT",
              help="Fail (exit 1) when the candidate's METRIC falls below the baseline's by more than AMOUNT "
                   "(e.g. accuracy=0.01). Repeatable.")
@exit_on_input_error
def compare(baseline, candidate, out_dir, max_increase, max_decrease):
    """Compare two audit folders, BASELINE and CANDIDATE: reliance first, deltas with the better direction,
    and change thresholds (exit 1 when one fails). Writes compare.md and compare.html.

    \b
    Example:
      audit-cli compare audit-current/ audit-new/ --max-increase flip_fraction=0.01 --max-decrease accuracy=0.01
    """
    from audit_cli.compare import compare as compare_folders
    comparison = compare_folders(baseline, candidate, out_dir, parse_changes(max_increase, "--max-increase"),
                                 parse_changes(max_decrease, "--max-decrease"))
    for warning in comparison.warnings:
        click.echo(f"warning: {warning}")
    width = max(len(row.label) for row in comparison.rows) if comparison.rows else 10
    click.echo(f"{'':<{width}}  {comparison.baseline_title:>22}  {comparison.candidate_title:>22}  change")
    for row in comparison.rows:
        click.echo(f"{row.label:<{width}}  {row.baseline * 100:>21.1f}%  {row.candidate * 100:>21.1f}%  "
                   f"{row.delta * 100:+.1f} ({row.verdict})")
    for text, passed in comparison.threshold_results:
        click.echo(f"{'pass' if passed else 'FAIL'}: {text}")
    click.echo(f"written to {os.path.join(out_dir, 'compare.md')} and compare.html")
    if not comparison.passed:
        raise SystemExit(EXIT_GATE_FAILED)


if __name__ == "__main__":
    main()
