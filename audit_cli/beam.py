"""audit-beam: ``audit-cli score`` as an Apache Beam pipeline (a thin command line over audit_beam.pipeline).

A separate command rather than ``audit-cli score --runner``: Beam's own pipeline options (--project,
--temp_location, --flink_master, ...) pass through untouched after the audit's options, and audit-cli keeps
its light install (Beam is the [beam] extra).
"""

import contextlib
import functools
import glob
import os
import shutil
import tempfile

import click

from audit_beam import files
from audit_cli.console import console_summary
from audit_cli.model_options import backend_options
from audit_cli.options import (
    ScoreCommand,
    audit_options,
)
from audit_cli.settings import (
    audit_options_of,
    check_attribution,
    check_audit_options,
    evidence_settings,
    gate_limits,
    input_paths,
    load_audit_inputs,
)
from cli_common.console import VERBOSE_ENV, set_verbosity, stderr_to
from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_GATE_FAILED, InputError

RUNNERS = {"direct": "DirectRunner", "dataflow": "DataflowRunner", "flink": "FlinkRunner", "spark": "SparkRunner"}


class ModelLocation(click.Path):
    """A local model folder (it must exist), or a path on a file system Beam knows (gs://..., read when loaded)."""

    def convert(self, value, param, ctx):
        return value if files.is_remote(value) else super().convert(value, param, ctx)


class BeamCommand(ScoreCommand):
    option_groups = {**ScoreCommand.option_groups, "Pipeline": ["runner", "direct_running_mode", "direct_num_workers"]}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show Beam's and TensorFlow's logging (workers included).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of one line.")
def main(verbose, debug):
    """Run the audit of `audit-cli score` as an Apache Beam pipeline."""
    set_verbosity(verbose, debug)


@main.command(cls=BeamCommand, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("corpus", nargs=1)
@functools.partial(backend_options, model_type=ModelLocation(exists=True, file_okay=False))
@audit_options
@click.option(
    "--runner",
    type=click.Choice(sorted(RUNNERS)),
    default="direct",
    show_default=True,
    help="Beam runner. Other Beam options (--project, --region, --temp_location, --flink_master, ...) "
    "may follow; they are passed to Beam as they are.",
)
@click.option(
    "--direct-running-mode",
    type=click.Choice(["in_memory", "multi_threading", "multi_processing"]),
    default="multi_processing",
    show_default=True,
    help="DirectRunner mode (set explicitly so that Beam never tries to download its Prism runner).",
)
@click.option(
    "--direct-num-workers",
    type=click.IntRange(0, 1024),
    default=2,
    show_default=True,
    help="DirectRunner workers (0: one per core).",
)
@click.option(
    "--max-in-flight",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Batches at the model at once in each worker.",
)
@click.pass_context
@exit_on_input_error
def score(ctx, corpus, backend, attribution, runner, direct_running_mode, direct_num_workers, max_in_flight, **audit):
    """Audit every document of CORPUS (a CSV/JSONL file or a glob of them) with a Beam pipeline and write
    record shards (records-NNNNN-of-MMMMM.jsonl / .csv), summary.json, report.md, report.html and manifest.json
    (signed with --sign-key; checked by audit-cli verify) to --out.

    The records are those of `audit-cli score` (same code, same JSON); the summary is combined from
    per-worker parts (share percentiles from a 10,000-bin sketch, within 0.00005).

    \b
    Examples:
      audit-beam score corpus.csv --model models/m --forbidden forbidden.txt --direct-num-workers 2
      audit-beam score '/shared/corpus/*.jsonl' --server serving:8500 --forbidden f.txt --runner flink \\
        --flink_master=localhost:8081 --environment_type=LOOPBACK

    CORPUS, --model and --out may be local paths (visible to every worker: a shared file system) or paths on
    any file system Beam knows (gs://, s3://, hdfs://, azfs://; Dataflow needs gs://). A remote --out must be
    new or empty; Beam's log then goes to a local temporary file, named on failure.

    Exit codes as audit-cli score: 0 gates pass, 1 a gate failed, 2 usage or input error, 70 internal error.
    """
    from audit_beam.pipeline import TALLY_PART
    from audit_engine.outputs import INCOMPLETE, claim_out_dir

    check_audit_options(audit)
    check_attribution(audit, backend.attribution)
    evidence = evidence_settings(audit, backend, "audit-beam score")
    paths = files.expand(corpus)
    if not paths:
        raise InputError("no file matches this pattern", corpus)
    out_dir = audit["out_dir"]
    remote_out = files.is_remote(out_dir)
    out_lock = None  # a remote --out cannot be locked
    if remote_out:
        files.check_new_remote_out(out_dir)
        log_path = os.path.join(tempfile.gettempdir(), f"audit-beam-{os.getpid()}.log")
    else:
        out_lock = claim_out_dir(
            out_dir,
            [
                *(p for p in paths if not files.is_remote(p)),
                *input_paths(audit),
            ],
            also=(BEAM_LOG, TALLY_PART),
        )
        log_path = os.path.join(out_dir, BEAM_LOG)
    try:
        inputs = load_audit_inputs(audit)
        options = audit_options_of(audit, attribution, max_in_flight=max_in_flight)
        # Before any worker starts: every file readable with its columns, and some data row somewhere.
        if not [path for path in paths if holds_a_row(path, options)]:
            raise InputError("no data rows (header only)", corpus)
        beam_args = [f"--runner={RUNNERS[runner]}", *ctx.args]
        if runner == "direct":
            beam_args += [f"--direct_running_mode={direct_running_mode}", f"--direct_num_workers={direct_num_workers}"]
        try:
            # Beam's and the workers' logging (a bad row's traceback included) goes to the log, not the terminal.
            with contextlib.nullcontext() if os.environ.get(VERBOSE_ENV) else stderr_to(log_path):
                from audit_beam.pipeline import run_audit

                summary, passed = run_audit(
                    paths, corpus, backend, options, inputs, out_dir, gate_limits(audit), beam_args, evidence
                )
        except BaseException as error:
            if not remote_out:
                for temporary in glob.glob(os.path.join(out_dir, "beam-temp-*")):
                    shutil.rmtree(temporary, ignore_errors=True)
            files.write_text(
                files.join(out_dir, INCOMPLETE), f"the pipeline did not finish: {error}\nBeam's log: {log_path}\n"
            )
            raise pipeline_error(error) from None
    finally:
        if out_lock is not None:
            out_lock.close()
    for line in console_summary(summary, out_dir):
        click.echo(line)
    if not passed:
        raise SystemExit(EXIT_GATE_FAILED)


BEAM_LOG = "beam.log"


def holds_a_row(path, options):
    """Open the corpus file as a worker will (audit-cli's checks: readable, known encoding, the columns exist);
    whether it holds a data row."""
    from saliency_core.table import RowReader

    with RowReader(
        path, options.required_columns, options.encoding, files.BEAM_FILES, options.max_document_tokens
    ) as reader:
        return next(iter(reader), None) is not None


def pipeline_error(error):
    """A worker's InputError comes back wrapped by the runner: unwrap it, so that bad input stays a one-line
    error with exit code 2 whichever runner ran it."""
    found, seen = [], error
    while seen is not None and len(found) < 100:
        if isinstance(seen, InputError):
            found.append(seen)
        seen = seen.__cause__ or seen.__context__
    if found:  # the runner re-raises a copy without file and line; the original is further down the chain
        located = [e for e in found if e.path is not None]
        return located[-1] if located else InputError(found[0].message.split(" [while running")[0])
    message = str(error)
    if "InputError: " in message:
        return InputError(message.split("InputError: ", 1)[1].splitlines()[0].split(" [while running")[0])
    return error


if __name__ == "__main__":
    main()
