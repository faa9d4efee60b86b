"""audit-cli score: audit a corpus file and write records, summary and reports."""

import threading

import click

from audit_cli.console import Progress, console_summary, say_waiting
from audit_cli.model_options import backend_options
from audit_cli.options import (
    ScoreCommand,
    audit_options,
)
from audit_cli.settings import (
    audit_options_of,
    check_attribution,
    check_audit_options,
    check_corpus,
    evidence_settings,
    gate_limits,
    input_paths,
    load_audit_inputs,
)
from cli_common.errors import exit_on_input_error
from cli_common.signals import handle_stop_signals, restore_signals
from cli_common.types import FiniteFloatRange
from saliency_core.errors import EXIT_GATE_FAILED, EXIT_SERVER_FAILED


@click.command(cls=ScoreCommand)
@click.argument("corpus", type=click.Path(dir_okay=False))
@backend_options
@audit_options
@click.option(
    "--max-in-flight",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Predict requests outstanding at once.",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option(
    "--checkpoint-seconds",
    type=FiniteFloatRange(min=0.0),
    default=2.0,
    show_default=True,
    help="How often committed records are made durable for --resume.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted run in --out from its last checkpoint (same input, model and options).",
)
@exit_on_input_error
def score(corpus, backend, attribution, max_in_flight, quiet, checkpoint_seconds, resume, **audit):
    """Audit every document of CORPUS (CSV or JSONL) and write records.jsonl, records.csv,
    summary.json, report.md and report.html to --out.

    Reliance comes first: each document is also predicted without its forbidden words (--no-reliance
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
    from audit_engine.backends import ServerError, open_backend
    from audit_engine.outputs import claim_out_dir
    from audit_engine.record_encoding import start_early
    from audit_engine.run import AuditInterrupted, audit_corpus

    check_audit_options(audit)
    check_attribution(audit, backend.attribution)
    evidence = evidence_settings(audit, backend, "audit-cli score")
    out_dir = audit["out_dir"]
    out_lock = claim_out_dir(
        out_dir,
        [corpus, *input_paths(audit)],
        resume,
    )
    inputs = load_audit_inputs(audit)
    options = audit_options_of(audit, attribution, max_in_flight=max_in_flight, checkpoint_seconds=checkpoint_seconds)
    check_corpus(corpus, options)
    # Started now, the encoding child imports on the other core while this process loads the model.
    record_encoder = start_early(corpus, options.redact)
    try:
        backend = open_backend(backend, on_wait=say_waiting)
    except BaseException:
        if record_encoder is not None:
            record_encoder.close()
        raise
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.signal_number = signum
        stop.set()

    previous = handle_stop_signals(request_stop)
    try:
        gates = gate_limits(audit)
        progress = Progress(not quiet)
        try:
            summary, passed = audit_corpus(
                corpus,
                backend,
                out_dir,
                options,
                inputs,
                gates,
                progress,
                resume=resume,
                stop=stop,
                evidence=evidence,
                record_encoder=record_encoder,
            )
        finally:
            progress.finish()
    except ServerError as error:
        click.echo(
            f"error: the server failed and retries did not help: {error}. Committed records are kept in "
            f"{out_dir} (marked INCOMPLETE); when the server is back, rerun the same command with --resume.",
            err=True,
        )
        raise SystemExit(EXIT_SERVER_FAILED) from None
    except AuditInterrupted as interrupted:
        click.echo(
            f"stopped by signal {interrupted.signal_number}: committed records are kept in {out_dir} "
            "(marked INCOMPLETE); rerun the same command with --resume to continue.",
            err=True,
        )
        raise SystemExit(128 + interrupted.signal_number) from None
    finally:
        restore_signals(previous)
        backend.close()
        if record_encoder is not None:
            record_encoder.close()  # the audit closes it; not when it never started
        out_lock.close()
    for line in console_summary(summary, out_dir):
        click.echo(line)
    if not passed:
        raise SystemExit(EXIT_GATE_FAILED)
