"""The audit as an Apache Beam pipeline: the same rows, records and summary as ``audit-cli score``.

    files (glob) -> Reshuffle -> ReadCorpus (strict reader, audit-cli's batches)
      -> AuditBatches (explain_batch + build_records, the model per worker) -> records
      records -> JSON Lines and CSV shards (WriteToText)
      records -> SummaryCombine (SummaryBuilder.merge: counts, tables, a fixed-bin share sketch) -> summary
      examples -> Top.Of (the report's highlighted documents)
    then, in the launcher: summary.json, report.md, report.html, gates (exit code).

Every step reuses audit_cli's functions, so a record is built by the same code whichever runner runs it.
"""

import base64
import dataclasses
import hashlib
import json
import os
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from audit_cli import outputs
from audit_cli.backends import BackendConfig, open_backend
from audit_cli.evaluations import build_evaluations
from audit_cli.score import (Example, ModelFacts, RunFacts, ScoreOptions, batches, build_records, example_rank,
                             explain_batch, finish_summary)
from audit_cli.summary import SummaryBuilder, utc_now
from audit_cli.windows import windowed
from protos import audit_pb2
from saliency_core.hashing import file_sha256
from saliency_core.table import RowReader

SUMMARY_PART = "_summary_counts"
EXAMPLES_PART = "_examples"


@dataclasses.dataclass(frozen=True)
class AuditJob:
    """Everything a worker needs to audit rows: picklable, sent to every worker with the DoFns."""
    backend: BackendConfig
    options: ScoreOptions
    lexicon: object  # saliency_core.lexicon.Lexicon or None
    substitutions: object  # SubstitutionGroups or None
    model: ModelFacts


class ReadCorpus(beam.DoFn):
    """A corpus file -> batches of CorpusRows in file order, as audit-cli makes them (one file is read by one
    worker; many files spread). Batching here, not after a shuffle, keeps every batch what audit-cli sends, and
    so every float the same: a model's outputs for a document can differ in the last bits with the batch around
    it. With several files and no id column, ids are FILE:ROW so that they stay unique."""

    def __init__(self, options: ScoreOptions, prefix_ids: bool):
        self.options = options
        self.prefix_ids = prefix_ids

    def process(self, path):
        options = self.options
        prefix = f"{os.path.basename(path)}:" if self.prefix_ids else ""
        with RowReader(path, options.required_columns, options.encoding) as reader:
            for batch in batches(reader, options):
                yield [dataclasses.replace(d, doc_id=prefix + d.doc_id) for d in batch] if prefix else batch


class AuditBatches(beam.DoFn):
    """A batch of CorpusRows -> serialized AuditRecords (main output) and report examples ('examples')."""

    def __init__(self, job: AuditJob):
        self.job = job

    def setup(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        job = self.job
        self.backend, _ = windowed(open_backend(job.backend), job.options.window_config, job.model.metadata)
        self.settings = job.model.record_settings(job.lexicon, job.options)
        self.evaluations = build_evaluations(job.options, job.lexicon, job.substitutions)

    def process(self, batch):
        outputs_, prepared = explain_batch(self.backend, batch, self.evaluations)
        for _, record, explanation in build_records(batch, outputs_, prepared, self.settings, self.evaluations):
            yield record.SerializeToString()
            if explanation is not None and self.job.options.examples and record.forbidden_terms:
                yield beam.pvalue.TaggedOutput("examples", Example.of(record, explanation.tokens,
                                                                      explanation.saliency))

    def teardown(self):
        self.backend.close()


class SummaryCombine(beam.CombineFn):
    """AuditRecords -> the counting part of the AuditSummary; per-worker SummaryBuilders merge."""

    def __init__(self, job: AuditJob):
        self.job = job

    def create_accumulator(self):
        job = self.job
        return SummaryBuilder(build_evaluations(job.options, job.lexicon, job.substitutions), job.options.attribution,
                              job.model.class_names)

    def add_input(self, builder, serialized):
        builder.add(audit_pb2.AuditRecord.FromString(serialized))
        return builder

    def merge_accumulators(self, builders):
        builders = iter(builders)
        merged = next(builders)
        for builder in builders:
            merged.merge(builder)
        return merged

    def extract_output(self, builder):
        return base64.b64encode(builder.build(audit_pb2.AuditSummary()).SerializeToString()).decode("ascii")


def csv_line(cells):
    """One CSV line as audit-cli's csv.writer writes it, CRLF-terminated (WriteToText adds the LF)."""
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r").writerow(cells)
    return buffer.getvalue()


def build_pipeline(pipeline, paths, job: AuditJob, out_dir):
    options = job.options
    # Files, not rows, are spread over the workers; each worker then reads its file and audits it as a stream
    # (Read and Audit fuse), so memory stays flat in the corpus size. A shuffle of rows or batches would hold a
    # whole file in memory on the DirectRunner. Parallelism is per file: shard big corpora (most already are).
    audited = (pipeline
               | "Files" >> beam.Create(paths)
               | "Spread" >> beam.Reshuffle()
               | "Read" >> beam.ParDo(ReadCorpus(options, prefix_ids=len(paths) > 1 and not options.id_column))
               | "Audit" >> beam.ParDo(AuditBatches(job)).with_outputs("examples", main="records"))
    records = audited.records
    base = os.path.join(out_dir, "records")
    (records
     | "JSON" >> beam.Map(lambda serialized: outputs.record_json(audit_pb2.AuditRecord.FromString(serialized)))
     | "WriteJSONL" >> beam.io.WriteToText(base, file_name_suffix=".jsonl"))
    (records
     | "CSV" >> beam.Map(lambda serialized: csv_line(
         outputs.record_csv_cells(audit_pb2.AuditRecord.FromString(serialized), options.redact)))
     | "WriteCSV" >> beam.io.WriteToText(base, file_name_suffix=".csv",
                                         header=csv_line(outputs.csv_columns(options.redact))))
    (records
     | "Summarise" >> beam.CombineGlobally(SummaryCombine(job))
     | "WriteSummary" >> beam.io.WriteToText(os.path.join(out_dir, SUMMARY_PART), shard_name_template=""))
    (audited.examples
     | "TopExamples" >> beam.combiners.Top.Of(
         options.examples, key=lambda e: example_rank(e.share, e.drop, e.row, options.occlusion))
     | "ExamplesJSON" >> beam.Map(lambda examples: json.dumps([dataclasses.asdict(e) for e in examples]))
     | "WriteExamples" >> beam.io.WriteToText(os.path.join(out_dir, EXAMPLES_PART), shard_name_template=""))


def input_fingerprint(paths):
    if len(paths) == 1:
        return file_sha256(paths[0])
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{os.path.basename(path)}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def run_audit(paths, pattern, backend_config, options, lexicon, substitutions, out_dir, gate_limits, beam_args):
    """Run the pipeline to the end; returns (AuditSummary, gates passed). ``beam_args``: Beam pipeline flags."""
    from audit_cli import report
    started_at, clock = utc_now(), time.monotonic()
    backend = open_backend(backend_config)  # the launcher reads the metadata and checks the signature once
    try:
        model = ModelFacts.of(backend, lexicon, options)
        _, window_stride = windowed(backend, options.window_config, model.metadata)  # checks the stride
        description, signature = backend.description, backend.signature
    finally:
        backend.close()
    job = AuditJob(backend_config, options, lexicon, substitutions, model)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as pipeline:
        build_pipeline(pipeline, paths, job, out_dir)
    summary = audit_pb2.AuditSummary()
    with open(os.path.join(out_dir, SUMMARY_PART)) as f:
        summary.ParseFromString(base64.b64decode(f.read().strip()))
    examples_path = os.path.join(out_dir, EXAMPLES_PART)
    examples = []
    if os.path.exists(examples_path):
        with open(examples_path) as f:
            text = f.read().strip()
        examples = [Example(**e) for e in json.loads(text)] if text else []
    for part in (SUMMARY_PART, EXAMPLES_PART):
        if os.path.exists(os.path.join(out_dir, part)):
            os.unlink(os.path.join(out_dir, part))
    facts = RunFacts(model.name, model.version, signature, description,
                     pattern if len(paths) > 1 else os.path.abspath(paths[0]), input_fingerprint(paths), started_at,
                     time.monotonic() - clock, window_stride)
    passed = finish_summary(summary, facts, model, lexicon, options, gate_limits)
    report.write_reports(out_dir, summary, [] if options.redact else examples)
    outputs.write_summary(out_dir, summary)
    return summary, passed
