"""audit-cli: a thin command-line layer over audit_cli's library functions."""

import os
import signal
import sys
import threading
import time

import click

from audit_cli.backends import EmbeddedBackend, GrpcBackend, ServerError
from audit_cli.compare import compare as compare_folders
from audit_cli.document import audit_document
from audit_cli.score import AuditInterrupted, ScoreOptions, score_corpus
from saliency_core import contract
from saliency_core.errors import exit_on_input_error
from saliency_core.lexicon import load_lexicon

EXIT_GATE_FAILED = 1
EXIT_SERVER_FAILED = 3

unit_interval = click.FloatRange(0.0, 1.0)


def backend_options(function):
    options = [
        click.option("--server", "servers", multiple=True, metavar="HOST:PORT",
                     help="TF Serving / audit-serve gRPC address; repeat for client-side round-robin, "
                          "or give one dns:/// target. Without it, --model runs in process."),
        click.option("--model", "model_path", type=click.Path(exists=True, file_okay=False),
                     help="SavedModel version directory or model base path (embedded mode)."),
        click.option("--model-name", default="saliency_classifier", show_default=True,
                     help="Model name on the server."),
        click.option("--model-version", type=int, help="Pin a version on the server (default: latest)."),
        click.option("--signature", default=contract.SALIENCY_SIGNATURE, show_default=True,
                     help="Signature returning probabilities and saliency."),
        click.option("--deadline", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
                     help="Seconds per Predict call, retries included."),
        click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False), help="CA of the server certificate."),
        click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (mTLS)."),
        click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Client key (mTLS)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def open_backend(servers, model_path, model_name, model_version, signature, deadline, tls_ca, tls_cert, tls_key):
    if servers and model_path:
        raise click.BadParameter("give either --server or --model, not both", param_hint="--server")
    if servers:
        return GrpcBackend(servers, model_name, signature, model_version, deadline,
                           connect_timeout=min(10.0, deadline), tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key)
    if not model_path:
        raise click.BadParameter("give --server HOST:PORT or --model PATH", param_hint="--server")
    return EmbeddedBackend(model_path, signature)


class Progress:
    """docs and docs/s on stderr: redrawn in place on a terminal, a line every 10 s otherwise."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, documents, seconds):
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 10.0):
            return
        self.last = now
        rate = documents / seconds if seconds > 0 else 0.0
        prefix = "\r" if self.tty else ""
        click.echo(f"{prefix}{documents} docs, {rate:,.0f} docs/s", err=True, nl=not self.tty)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Audit how much a text classifier's saliency falls on forbidden words."""


@main.command()
@click.argument("corpus", type=click.Path(dir_okay=False))
@backend_options
@click.option("--forbidden", "forbidden_path", required=True, type=click.Path(dir_okay=False),
              help="Lexicon: one word or phrase per line; '#' comments and blank lines ignored.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--id-column", help="Unique document id column (default: the row number).")
@click.option("--label-column", help="True label column: copied into the records; accuracy in the summary.")
@click.option("--rationale-column",
              help="Per-word human rationale (0/1 string or JSON [start, end) spans): ERASER token F1 and AUPRC.")
@click.option("--toxic-classes", help="Comma-separated class names forming the positive side of a binary task: "
                                      "with --label-column, per-term bias AUCs (subgroup, BPSN, BNSP, pinned).")
@click.option("--occlusion", is_flag=True,
              help="Also predict each document with its forbidden terms removed (one more cheap `predict` call per "
                   "batch): a reliance check that gradient saliency can miss.")
@click.option("--out", "out_dir", default="audit-output", show_default=True, type=click.Path(file_okay=False),
              help="Output folder (its old outputs are replaced).")
@click.option("--batch-size", type=click.IntRange(1, 65536), default=64, show_default=True)
@click.option("--max-in-flight", type=click.IntRange(1, 256), default=4, show_default=True,
              help="Predict requests outstanding at once.")
@click.option("--threshold", type=unit_interval, default=0.5, show_default=True,
              help="A document is flagged when its forbidden share is >= this.")
@click.option("--fail-above", type=unit_interval,
              help="Gate: fail (exit 1) when the mean forbidden share of documents with a forbidden term exceeds this.")
@click.option("--max-flagged-fraction", type=unit_interval,
              help="Gate: fail (exit 1) when more than this fraction of scored documents is flagged.")
@click.option("--top-k", type=click.IntRange(0, 1000), default=5, show_default=True,
              help="Most salient tokens kept per record.")
@click.option("--redact", is_flag=True, help="Write no document text anywhere (ids, hashes, terms, scores only).")
@click.option("--strict", is_flag=True, help="Empty text is an error instead of a skipped record.")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the corpus and the lexicon.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--checkpoint-seconds", type=click.FloatRange(min=0.0), default=2.0, show_default=True,
              help="How often committed records are made durable for --resume.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run in --out from its last checkpoint (same input, model and options).")
@exit_on_input_error
def score(corpus, servers, model_path, model_name, model_version, signature, deadline, tls_ca, tls_cert,
          tls_key, forbidden_path, text_column, id_column, label_column, rationale_column, toxic_classes, occlusion,
          out_dir, batch_size, max_in_flight, threshold, fail_above, max_flagged_fraction, top_k, redact, strict,
          encoding, quiet, checkpoint_seconds, resume):
    """Audit every document of CORPUS (CSV or JSONL) and write records.jsonl, records.csv,
    summary.json, report.md and report.html to --out.

    Exit codes: 0 gates pass, 1 a gate failed, 2 usage or input error, 3 the server failed past its
    retry budget (resume with --resume), 130/143 stopped by SIGINT/SIGTERM (resume with --resume).
    """
    toxic = tuple(c.strip() for c in toxic_classes.split(",") if c.strip()) if toxic_classes else ()
    if toxic and not label_column:
        raise click.BadParameter("needs --label-column", param_hint="--toxic-classes")
    lexicon = load_lexicon(forbidden_path, encoding)
    backend = open_backend(servers, model_path, model_name, model_version, signature, deadline,
                           tls_ca, tls_cert, tls_key)
    options = ScoreOptions(text_column, id_column, label_column, batch_size, max_in_flight, threshold,
                           top_k, redact, strict, encoding, checkpoint_seconds=checkpoint_seconds,
                           rationale_column=rationale_column, toxic_classes=toxic, occlusion=occlusion)
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.signal_number = signum
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        summary, passed = score_corpus(corpus, backend, lexicon, out_dir, options,
                                       {"fail_above": fail_above, "max_flagged_fraction": max_flagged_fraction},
                                       Progress(not quiet), resume=resume, stop=stop)
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
    d = summary.share_distribution
    if summary.occlusion_documents:
        click.echo(f"occlusion: removing forbidden terms changes {summary.occlusion_flipped} of "
                   f"{summary.occlusion_documents} predictions; mean drop of p(predicted) "
                   f"{summary.mean_occlusion_drop:.4f}")
    click.echo(f"{summary.scored} scored, {summary.skipped} skipped, {summary.with_forbidden_terms} with forbidden "
               f"terms, {summary.flagged} flagged; mean forbidden share {d.mean:.4f} (p90 {d.p90:.4f}); "
               f"{summary.documents_per_second:,.0f} docs/s; outputs in {out_dir}")
    for gate in summary.gates:
        click.echo(f"gate {gate.name}: observed {gate.observed:.4f}, limit {gate.limit:g}: "
                   f"{'pass' if gate.passed else 'FAIL'}")
    if not passed:
        raise SystemExit(EXIT_GATE_FAILED)


@main.command()
@click.argument("text")
@backend_options
@click.option("--forbidden", "forbidden_path", type=click.Path(dir_okay=False), help="Lexicon to match.")
@click.option("--color/--no-color", default=None, help="Colour tokens by saliency (default: on a terminal).")
@exit_on_input_error
def explain(text, servers, model_path, model_name, model_version, signature, deadline, tls_ca, tls_cert,
            tls_key, forbidden_path, color):
    """Explain one TEXT: tokens with their saliency and the forbidden share."""
    lexicon = load_lexicon(forbidden_path) if forbidden_path else None
    backend = open_backend(servers, model_path, model_name, model_version, signature, deadline,
                           tls_ca, tls_cert, tls_key)
    try:
        result = backend.explain([text])
        class_names = backend.metadata()["class_names"]
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    finally:
        backend.close()
    record = audit_document(1, "1", text, result[contract.PROBABILITIES][0], result[contract.SALIENCY][0],
                            result[contract.TOKENS][0], result[contract.PREDICTED_LABEL][0],
                            result[contract.TOKEN_COUNT][0], class_names, lexicon, 0.5,
                            top_k=result[contract.TOKENS].shape[1])
    by_position = {t.position: t for t in record.top_tokens}
    top = max((t.saliency for t in record.top_tokens), default=0.0) or 1.0
    use_color = sys.stdout.isatty() if color is None else color
    pieces = []
    for position in range(record.explained_tokens):
        token = by_position[position]
        label = f"{token.token}({token.saliency:.3g})"
        if use_color:
            level = token.saliency / top
            label = click.style(label, fg="red" if token.forbidden else None, bold=level > 0.5,
                                bg="yellow" if level > 0.75 else None)
        elif token.forbidden:
            label = f"[{label}]"
        pieces.append(label)
    click.echo(" ".join(pieces))
    click.echo(f"predicted {record.predicted_label} ({record.confidence:.3f}); forbidden share "
               f"{record.forbidden_share:.4f}" + ("; truncated: tokens beyond T not explained" if record.truncated else ""))


@main.command()
@backend_options
@exit_on_input_error
def status(servers, model_path, model_name, model_version, signature, deadline, tls_ca, tls_cert, tls_key):
    """Model status, signatures and training metadata from the server (or the embedded model)."""
    backend = open_backend(servers, model_path, model_name, model_version, signature, deadline,
                           tls_ca, tls_cert, tls_key)
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
    for key in ("class_names", "max_tokens", "penalty_weight", "target", "reduction", "created_at"):
        click.echo(f"{key}: {metadata.get(key)}")
    click.echo(f"training data sha256: {metadata.get('training_data', {}).get('sha256')}")
    click.echo(f"metrics: {metadata.get('metrics')}")


@main.command()
@click.argument("folder_a", type=click.Path(file_okay=False))
@click.argument("folder_b", type=click.Path(file_okay=False))
@click.option("--out", "out_dir", default="audit-compare", show_default=True, type=click.Path(file_okay=False))
@exit_on_input_error
def compare(folder_a, folder_b, out_dir):
    """Compare two audit output folders (e.g. before and after the penalty): compare.md, compare.html."""
    for label, a, b in compare_folders(folder_a, folder_b, out_dir):
        click.echo(f"{label:>24}: {a!s:>18}  {b!s:>18}")
    click.echo(f"written to {os.path.join(out_dir, 'compare.md')} and compare.html")


if __name__ == "__main__":
    main()
