"""The audit as an Apache Beam pipeline: the same rows, records and summary as ``audit-cli score``.

    files (glob) -> Reshuffle -> AuditFiles: per file, audit-cli's batches through the model (up to
      --max-in-flight at once), records, and a Tally (summary counts + report examples) and sha256 per file
      record lines (one element per batch) -> JSON Lines and CSV shards (WriteToText)
      tallies -> MergeTallies (SummaryBuilder.merge: counts, tables, a fixed-bin share sketch; the top examples;
      the files' digests)
    then, in the launcher: summary.json, report.md, report.html, gates (exit code).

Every step reuses the audit engine's functions, so a record is built by the same code whichever runner runs it. A
worker hands Beam one element per batch of record lines and one Tally per file, not one element per record:
per-record elements cost a serialisation and two parses each and made the pipeline half as fast as audit-cli.
"""

import base64
import dataclasses
import hashlib
import json
import os
import tempfile
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from audit_beam import files
from audit_engine import outputs, record_lines, report
from audit_engine.backends import BackendConfig, open_backend
from audit_engine.backends.windowed import windowed
from audit_engine.corpus import windows
from audit_engine.evaluations import AuditInputs, build_evaluations
from audit_engine.examples import Example
from audit_engine.explaining import Tally, explained_windows
from audit_engine.formatting import utc_now
from audit_engine.manifest import EvidenceSettings, ModelSource, manifest_files
from audit_engine.options import AuditOptions
from audit_engine.session import AuditSession, ModelFacts, RunFacts, finish_summary
from protos import audit_pb2
from saliency_core.table import RowReader

TALLY_PART = "_tally"  # the merged Tally, read back by the launcher and removed


@dataclasses.dataclass(frozen=True)
class AuditJob:
    """Everything a worker needs to audit rows: picklable, sent to every worker with the DoFns."""

    backend: BackendConfig
    options: AuditOptions
    inputs: AuditInputs
    model: ModelFacts | None  # read by the launcher before the pipeline starts

    def local_backend(self):
        """The backend as a worker opens it: a model on a remote file system is read from a local copy."""
        if not self.backend.model_path:
            return self.backend
        return dataclasses.replace(self.backend, model_path=files.local_model(self.backend.model_path))

    def evaluations(self):
        return build_evaluations(self.options, self.inputs)

    def tally(self):
        return Tally(self.evaluations(), self.options, self.model.class_names)


def file_windows(path, options: AuditOptions, prefix_ids: bool):
    """A corpus file's windows of batches of CorpusRows, as audit-cli makes them. Batching in the reader, not after
    a shuffle, keeps every batch what audit-cli sends, and so every float the same: a model's outputs for a
    document can differ in the last bits with the batch around it. ``prefix_ids``: ids become FILE:ROW (several
    files without an id column), so that they stay unique."""
    prefix = f"{os.path.basename(path)}:" if prefix_ids else ""
    with RowReader(
        path, options.required_columns, options.encoding, files.BEAM_FILES, options.max_document_tokens
    ) as reader:
        for window in windows(reader, options):
            yield [[dataclasses.replace(d, doc_id=prefix + d.doc_id) for d in batch] for batch in window] if prefix \
                else window


class AuditFiles(beam.DoFn):
    """A corpus path -> its records as text, one element per batch, on the 'jsonl' and 'csv' outputs; then
    (path, the file's sha256, its Tally) on the main output. A file is audited as a stream by one worker, so
    memory stays flat in the corpus size; files spread over the workers."""

    def __init__(self, job: AuditJob, prefix_ids: bool):
        self.job = job
        self.prefix_ids = prefix_ids

    def setup(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        job = self.job
        self.session = AuditSession.open(open_backend(job.local_backend()), job.options, job.inputs, job.model)

    def process(self, path):
        options, tally, session = self.job.options, self.job.tally(), self.session
        for window in explained_windows(
            file_windows(path, options, self.prefix_ids), session.backend, session.evaluations, options.max_in_flight
        ):
            records = tally.audit(window, session.settings, session.evaluations)
            jsonl, csv_lines = record_lines.encode(records, options.redact)
            # WriteToText ends every element with LF: each batch's text goes without its last one.
            yield beam.pvalue.TaggedOutput("jsonl", jsonl[:-1])
            yield beam.pvalue.TaggedOutput("csv", csv_lines[:-1])
        # The input's fingerprint is hashed here, where the file is read, not by the launcher over the whole corpus.
        yield path, files.sha256(path), tally

    def teardown(self):
        self.session.close()


@dataclasses.dataclass
class Merged:
    """MergeTallies' accumulator: the files' Tallies merged, and each file's sha256."""

    tally: Tally
    sha256: dict  # path -> hex digest


class MergeTallies(beam.CombineFn):
    """(path, sha256, Tally) per file -> one: the AuditSummary's counting part, the report's examples and the
    files' digests, as JSON."""

    def __init__(self, job: AuditJob):
        self.job = job

    def create_accumulator(self):
        return Merged(self.job.tally(), {})

    def add_input(self, merged, audited_file):
        path, digest, tally = audited_file
        merged.tally.merge(tally)
        merged.sha256[path] = digest
        return merged

    def merge_accumulators(self, accumulators):
        accumulators = iter(accumulators)
        merged = next(accumulators)
        for other in accumulators:
            merged.tally.merge(other.tally)
            merged.sha256.update(other.sha256)
        return merged

    def extract_output(self, merged):
        summary = merged.tally.builder.build(audit_pb2.AuditSummary()).SerializeToString()
        return json.dumps(
            {
                "summary": base64.b64encode(summary).decode("ascii"),
                "examples": [dataclasses.asdict(e) for e in merged.tally.examples.ranked()],
                "sha256": merged.sha256,
            }
        )


def build_pipeline(pipeline, paths, job: AuditJob, out_dir):
    options = job.options
    # Files, not rows, are spread over the workers: a shuffle of rows or batches would hold a whole file in
    # memory on the DirectRunner, and change the batches. Parallelism is per file: shard big corpora.
    audited = (
        pipeline
        | "Files" >> beam.Create(paths)
        | "Spread" >> beam.Reshuffle()
        | "Audit"
        >> beam.ParDo(AuditFiles(job, prefix_ids=len(paths) > 1 and not options.id_column)).with_outputs(
            "jsonl", "csv", main="tallies"
        )
    )
    base = files.join(out_dir, "records")
    audited.jsonl | "WriteJSONL" >> beam.io.WriteToText(base, file_name_suffix=".jsonl")
    audited.csv | "WriteCSV" >> beam.io.WriteToText(
        base, file_name_suffix=".csv", header=record_lines.csv_text([record_lines.csv_columns(options.redact)])[:-1]
    )
    (
        audited.tallies
        | "Merge" >> beam.CombineGlobally(MergeTallies(job))
        | "WriteTally" >> beam.io.WriteToText(files.join(out_dir, TALLY_PART), shard_name_template="")
    )


def input_fingerprint(paths, sha256):
    """The corpus's sha256 from its files' (``sha256``: path -> digest): a single file's own, else one over the
    files' names and digests in path order."""
    if len(paths) == 1:
        return sha256[paths[0]]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{os.path.basename(path)}:{sha256[path]}\n".encode())
    return digest.hexdigest()


def run_audit(paths, pattern, backend_config, options, inputs, out_dir, gate_limits, beam_args, evidence=None):
    """Run the pipeline to the end; returns (AuditSummary, gates passed). ``beam_args``: Beam pipeline flags.
    Paths may be local or on any file system Beam knows (audit_beam.files). ``evidence``: what manifest.json
    records beyond the summary (and the key that signs it)."""
    started_at, clock = utc_now(), time.monotonic()
    lexicon = inputs.lexicon
    job = AuditJob(backend_config, options, inputs, None)
    local = job.local_backend()
    # The launcher reads the metadata and checks the signature once; it runs no batch, so it needs no warm-up.
    backend = open_backend(dataclasses.replace(local, warm_up=False))
    try:
        model = ModelFacts.of(backend, lexicon, options)
        _, window_stride = windowed(backend, options.window_config, model.metadata)  # checks the stride
        description, signature = backend.description, backend.signature
    finally:
        backend.close()
    if local.model_path != backend_config.model_path:  # name the model where it is, not its local copy
        description = description.replace(local.model_path.rstrip("/"), backend_config.model_path.rstrip("/"), 1)
    job = dataclasses.replace(job, model=model)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as pipeline:
        build_pipeline(pipeline, paths, job, out_dir)
    tally_path = files.join(out_dir, TALLY_PART)
    tally = json.loads(files.read_text(tally_path))
    files.delete(tally_path)
    summary = audit_pb2.AuditSummary.FromString(base64.b64decode(tally["summary"]))
    examples = [Example(**e) for e in tally["examples"]]
    single = paths[0] if files.is_remote(paths[0]) else os.path.abspath(paths[0])
    facts = RunFacts(
        model.name,
        model.version,
        signature,
        description,
        pattern if len(paths) > 1 else single,
        input_fingerprint(paths, tally["sha256"]),
        started_at,
        time.monotonic() - clock,
        window_stride,
    )
    passed = finish_summary(summary, facts, model, lexicon, options, gate_limits)
    examples = [] if options.redact else examples
    if not files.is_remote(out_dir):
        report.write_reports(out_dir, summary, examples)
        outputs.write_summary(out_dir, summary)
    else:
        with tempfile.TemporaryDirectory(prefix="audit-beam-") as finished:  # written here, then copied
            report.write_reports(finished, summary, examples)
            outputs.write_summary(finished, summary)
            files.publish(finished, [outputs.REPORT_MD, outputs.REPORT_HTML, outputs.SUMMARY_JSON], out_dir)
    evidence = dataclasses.replace(
        evidence or EvidenceSettings("audit-beam score", (), ModelSource(), gate_limits),
        corpus_files=tuple((path, tally["sha256"][path]) for path in paths),
        files=files.BEAM_FILES,
    )
    try:
        for name, content in manifest_files(out_dir, summary, options, inputs, evidence):
            files.write_text(files.join(out_dir, name), content)
    except BaseException:
        files.delete(files.join(out_dir, outputs.SUMMARY_JSON))  # without its manifest the folder is not finished
        raise
    return summary, passed
