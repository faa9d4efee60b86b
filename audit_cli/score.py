"""Stream a corpus through a backend and audit every document, in order, with bounded memory.

Records are committed in checkpoints (checkpoint.json holds the byte offsets of the .partial
files and the rows consumed), so an interrupted run can be resumed exactly where its last
checkpoint left it, and the resumed outputs equal those of an uninterrupted run.
"""

import collections
import dataclasses
import heapq
import json
import os
import time
from concurrent import futures

import numpy as np

from audit_cli import outputs
from audit_cli.document import (CorpusRow, Explanation, RecordSettings, audit_document, batch_order, explained_tokens,
                                skipped_record)
from audit_cli.evaluations import Batch, build_evaluations
from audit_cli.summary import SummaryBuilder, apply_gates, utc_now
from audit_cli.windows import DEFAULT_MAX_DOCUMENT_TOKENS, WindowConfig, windowed
from protos import audit_pb2
from saliency_core import contract
from saliency_core.errors import InputError
from saliency_core.hashing import file_sha256
from saliency_core.lexicon import Lexicon, covered
from saliency_core.marks import parse_optional_word_marks
from saliency_core.substitutions import SubstitutionGroups
from saliency_core.table import RowReader
from saliency_core.text import split_words, tokenize_all

CHECKPOINT_SECONDS = 2.0
# A batch closes at --batch-size texts or at this many characters, whichever comes first, so a long document's
# windows do not ride with 63 others: a batch's memory stays bounded whatever the documents' lengths.
BATCH_CHARACTERS = 1 << 20


@dataclasses.dataclass
class ScoreOptions:
    text_column: str = "text"
    id_column: str = None
    label_column: str = None
    batch_size: int = 64
    max_in_flight: int = 8  # measured (issue 13): 8 beats 4 by 4 % via gRPC on 2 cores, ties embedded
    threshold: float = 0.5
    top_k: int = 5
    redact: bool = False
    strict: bool = False
    encoding: str = "utf-8"
    rationale_column: str = None  # per-word human rationale: ERASER token F1 and AUPRC per document
    toxic_classes: tuple = ()  # with label_column: bias metrics per forbidden term on this binary task
    occlusion: bool = True  # reliance: predict each document without its forbidden terms (and each term alone)
    attribution: str = "gradient"  # the signature behind the saliency shares (contract.ATTRIBUTION_SIGNATURES)
    label_map: tuple = ()  # (corpus label, model class or "positive"/"negative") pairs; () = labels as they are
    examples: int = 6  # highlighted documents in report.html
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    windows: bool = True  # texts longer than the model's T are explained in windows (audit_cli.windows)
    window_stride: int = None  # None: the model's training stride, else 7/8 of T
    max_document_tokens: int = DEFAULT_MAX_DOCUMENT_TOKENS

    @property
    def window_config(self):
        return WindowConfig(self.windows, self.window_stride, self.max_document_tokens)

    @property
    def required_columns(self):
        """The columns the reader must find (None: not asked for); the text column first."""
        return [self.text_column, self.id_column, self.label_column, self.rationale_column]

    def fingerprint(self):
        """The options that shape the records, in their JSON form; a resumed run must use the same."""
        shaping = {k: v for k, v in dataclasses.asdict(self).items()
                   if k not in ("batch_size", "max_in_flight", "checkpoint_seconds")}
        return json.loads(json.dumps(shaping))


EXAMPLE_TOKENS = 200  # tokens a report example shows; a longer document shows an excerpt


@dataclasses.dataclass(order=True)  # ordered only to break exact rank ties in TopExamples' heap
class Example:
    """A document kept for the report, with every explained token's saliency."""
    share: float
    row: int
    doc_id: str
    label: str
    tokens: list
    saliency: list
    forbidden: list
    true_label: str = ""
    drop: float = None  # reliance: drop of p(predicted) without the forbidden words (None: not measured)
    flips: bool = None
    first_position: int = 0  # the excerpt's first token in the document (a long document shows an excerpt)
    explained: int = 0  # the document's explained tokens (0: all are shown)

    @classmethod
    def of(cls, record, tokens_row, saliency_row):
        """The report's view of an audited document (its explanation's tokens and saliency rows): all of a short
        one; of a longer one, EXAMPLE_TOKENS tokens around its most salient forbidden word. The forbidden positions
        are the record's matches (the lexicon already ran over these tokens)."""
        tokens = explained_tokens(tokens_row, record.token_count)
        forbidden = covered(((hit.start, hit.end) for hit in record.forbidden_terms), len(tokens))
        first, explained = 0, 0
        if len(tokens) > EXAMPLE_TOKENS:
            explained = len(tokens)
            positions = np.flatnonzero(forbidden)
            centre = int(positions[np.argmax(np.asarray(saliency_row)[positions])]) if len(positions) else 0
            first = max(0, min(centre - EXAMPLE_TOKENS // 2, len(tokens) - EXAMPLE_TOKENS))
            tokens = tokens[first:first + EXAMPLE_TOKENS]
            forbidden = forbidden[first:first + EXAMPLE_TOKENS]
        return cls(record.forbidden_share, record.row, record.id, record.predicted_label, tokens,
                   [float(s) for s in saliency_row[first:first + len(tokens)]], forbidden.tolist(),
                   record.true_label, record.occlusion_drop if record.occluded else None,
                   record.occlusion_flips if record.occluded else None, first, explained)


def example_rank(share, drop, row, occlusion):
    """The report shows the documents that rely most on forbidden words: by the drop without them (``drop`` None:
    not measured), or by the forbidden share when the reliance check is off. Ties: earlier rows first."""
    return ((drop or 0.0) if occlusion else share, -row)


class TopExamples:
    """The report's highlighted documents: the ``size`` best by ``example_rank``, each built only when it would be
    kept (building one copies its tokens and saliency). Two merge, so per-file sets in the Beam pipeline give the
    same examples as one pass over the corpus."""

    def __init__(self, size, occlusion, kept=()):
        self.size, self.occlusion = size, occlusion
        self.heap = [(*example_rank(e.share, e.drop, e.row, occlusion), e) for e in kept]  # min-heap
        heapq.heapify(self.heap)

    def _admits(self, key):
        return len(self.heap) < self.size or key > self.heap[0][:2]

    def _push(self, item):
        (heapq.heappush if len(self.heap) < self.size else heapq.heapreplace)(self.heap, item)

    def offer(self, record, tokens_row, saliency_row):
        key = example_rank(record.forbidden_share, record.occlusion_drop if record.occluded else None, record.row,
                           self.occlusion)
        if self._admits(key):  # an example ranked below every kept one is not worth building
            self._push((*key, Example.of(record, tokens_row, saliency_row)))

    def merge(self, other):
        for item in other.heap:
            if self._admits(item[:2]):
                self._push(item)

    def ranked(self):
        """Best first."""
        return [example for *_, example in sorted(self.heap, key=lambda item: item[:2], reverse=True)]


class Tally:
    """What an audit accumulates beside its records: the summary's counts and the report's examples. audit-cli
    keeps one for the corpus; the Beam pipeline one per file, and the pipeline's combine merges them."""

    def __init__(self, evaluations, options, class_names, examples=()):
        self.builder = SummaryBuilder(evaluations, options.attribution, class_names)
        self.examples = TopExamples(options.examples, options.occlusion, examples)

    def audit(self, batch, outputs, prepared, settings, evaluations):
        """The batch's AuditRecords, in row order, counted and offered as examples."""
        records = []
        for _, record, explanation in build_records(batch, outputs, prepared, settings, evaluations):
            if explanation is not None and self.examples.size and record.forbidden_terms:
                self.examples.offer(record, explanation.tokens, explanation.saliency)
            self.builder.add(record)
            records.append(record)
        return records

    def merge(self, other):
        self.builder.merge(other.builder)
        self.examples.merge(other.examples)


class AuditInterrupted(Exception):
    """A stop was requested (SIGINT/SIGTERM); in-flight batches were finished and a checkpoint written."""

    def __init__(self, signal_number):
        super().__init__(f"interrupted by signal {signal_number}")
        self.signal_number = signal_number


def corpus_rows(reader, options, skip_rows=0):
    """Yield a CorpusRow per data row after the first ``skip_rows`` (every row's id is still checked); a row
    with empty text has text None (it becomes a skipped record)."""
    seen_ids = {}
    label_map = dict(options.label_map)
    row_number = 0
    for line, row in reader:
        row_number += 1
        doc_id = str(row[options.id_column]).strip() if options.id_column else str(row_number)
        if options.id_column:
            if not doc_id:
                raise InputError("empty id", reader.path, line, options.id_column)
            if doc_id in seen_ids:
                raise InputError(f"duplicate id {doc_id!r} (first at row {seen_ids[doc_id]})",
                                 reader.path, line, options.id_column)
            seen_ids[doc_id] = row_number
        if row_number <= skip_rows:
            continue
        text = row[options.text_column]
        text = "" if text is None else str(text)
        label = str(row[options.label_column]).strip() if options.label_column else ""
        if label and label_map:
            if label not in label_map:
                raise InputError(f"label {label!r} is not in --label-map ({sorted(label_map)})", reader.path, line,
                                 options.label_column)
            label = label_map[label]
        if not text.strip():
            if options.strict:
                raise InputError("empty text", reader.path, line, options.text_column)
            text = None
        marks = None
        if options.rationale_column and text is not None:
            marks = parse_optional_word_marks(row[options.rationale_column], len(split_words(text)), reader.path,
                                              line, options.rationale_column)
        yield CorpusRow(row_number, doc_id, text, label, marks,
                        bool(options.rationale_column) and text is not None and marks is None)


def batches(reader, options, skip_rows=0):
    """Lists of CorpusRow holding ``options.batch_size`` texts each (skipped rows ride along)."""
    batch, texts_in_batch, characters = [], 0, 0
    for document in corpus_rows(reader, options, skip_rows):
        if document.text is not None and texts_in_batch and characters + len(document.text) > BATCH_CHARACTERS:
            yield batch
            batch, texts_in_batch, characters = [], 0, 0
        batch.append(document)
        if document.text is not None:
            texts_in_batch += 1
            characters += len(document.text)
        if texts_in_batch >= options.batch_size:
            yield batch
            batch, texts_in_batch, characters = [], 0, 0
    if batch:
        yield batch


def explain_batch(backend, batch, evaluations):
    """The backend's outputs for the batch's texts and what each evaluation prepared for them (a list)."""
    texts = [document.text for document in batch if document.text is not None]
    if not texts:
        return None, []
    outputs = dict(backend.explain(texts))
    tokens = tokenize_all(texts) if any(e.needs_tokens for e in evaluations) else None
    saliency = outputs[contract.SALIENCY]
    width = max(map(len, saliency)) if isinstance(saliency, list) else saliency.shape[1]
    context = Batch(texts, tokens, outputs, width)
    return outputs, [evaluation.prepare(backend, context) for evaluation in evaluations]


def build_records(batch, outputs, prepared, settings, evaluations):
    """Yield (CorpusRow, AuditRecord, Explanation or None for a skipped row) for every row of the batch, in
    order: what audit-cli writes and what the Beam pipeline emits, from one piece of code."""
    index = 0
    order = batch_order(outputs, settings.top_k) if outputs is not None else None
    for document in batch:
        if document.text is None:
            yield document, skipped_record(document.row, document.doc_id, "", "empty text", settings.redact,
                                           document.true_label), None
            continue
        explanation = Explanation.at(outputs, index, order)
        record = audit_document(document, explanation, settings)
        for evaluation, batch_data in zip(evaluations, prepared):
            evaluation.annotate(record, batch_data, index, document, explanation)
        index += 1
        yield document, record, explanation


BINARY_LABELS = ("positive", "negative")


def label_space(label_map, class_names):
    """'model classes' or 'binary' for a --label-map, '' without one; anything else is a usage error."""
    if not label_map:
        return ""
    targets = {target for _, target in label_map}
    if targets <= set(class_names):
        return "model classes"
    if targets <= set(BINARY_LABELS):
        return "binary"
    raise InputError(f"--label-map must map every label to a class of the model {class_names} or every label to "
                     f"positive / negative; got {sorted(targets)}")


@dataclasses.dataclass
class ModelFacts:
    """What the audit takes from the model's metadata, checked against the options."""
    metadata: dict
    name: str
    version: int
    class_names: list
    max_tokens: int
    label_space: str
    out_of_vocabulary_terms: list

    @classmethod
    def of(cls, backend, lexicon, options):
        metadata = backend.metadata()
        version = int(getattr(backend, "loaded_version", 0) or metadata.get("version", 0))
        class_names = metadata["class_names"]
        unknown = [c for c in options.toxic_classes if c not in class_names]
        if unknown:
            raise InputError(f"--toxic-classes {unknown} are not classes of the model {class_names}")
        vocabulary = set(metadata.get("vocabulary") or ())
        out_of_vocabulary = [" ".join(p) for p in lexicon.phrases if any(t not in vocabulary for t in p)] \
            if vocabulary and lexicon is not None else []
        return cls(metadata, metadata.get("model_name", ""), version, class_names, int(metadata.get("max_tokens", 0)),
                   label_space(options.label_map, class_names), out_of_vocabulary)

    def record_settings(self, lexicon, options):
        return RecordSettings(self.class_names, lexicon, options.threshold, options.top_k, options.redact)


@dataclasses.dataclass
class RunFacts:
    """Where a run's records came from, for the summary's descriptive fields."""
    model_name: str
    model_version: int
    signature: str
    backend: str
    input_path: str
    input_sha256: str
    started_at: str
    seconds: float
    window_stride: int = 0  # 0: windows off (audit_cli.windows.windowed says why)


def finish_summary(summary, facts: RunFacts, model: ModelFacts, lexicon, options, gate_limits):
    """Complete an AuditSummary whose counts a SummaryBuilder filled in: the run's descriptions, the gates;
    returns whether every gate passed. audit-cli and the Beam pipeline both end here."""
    summary.complete = True
    summary.model_name = facts.model_name
    summary.model_version = facts.model_version
    summary.signature_name = facts.signature
    summary.backend = facts.backend
    summary.input_path = facts.input_path
    summary.input_sha256 = facts.input_sha256
    if lexicon is not None:
        summary.lexicon_path = os.path.abspath(lexicon.source) if lexicon.source else ""
        summary.lexicon_sha256 = lexicon.sha256
        summary.lexicon_terms = len(lexicon.phrases)
    summary.threshold = options.threshold
    summary.started_at, summary.finished_at = facts.started_at, utc_now()
    summary.seconds = facts.seconds
    summary.documents_per_second = summary.scored / facts.seconds if facts.seconds > 0 else 0.0
    # The vocabulary is for the coverage check; it would swell every summary.json.
    summary.model_metadata_json = json.dumps({k: v for k, v in model.metadata.items() if k != "vocabulary"},
                                             sort_keys=True)
    summary.out_of_vocabulary_terms[:] = model.out_of_vocabulary_terms
    summary.label_space = model.label_space
    summary.redacted = options.redact
    summary.max_tokens = model.max_tokens
    summary.window_stride = facts.window_stride
    summary.max_document_tokens = options.max_document_tokens if facts.window_stride else 0
    return apply_gates(summary, gate_limits)


class _Run:
    """The mutable state of one audit run: what is committed, and what the summary needs."""

    def __init__(self, corpus_path, backend, lexicon, out_dir, options, resume, substitutions=None):
        self.options = options
        self.model = ModelFacts.of(backend, lexicon, options)
        self.backend, self.window_stride = windowed(backend, options.window_config, self.model.metadata)
        self.settings = self.model.record_settings(lexicon, options)
        self.input_sha256 = file_sha256(corpus_path)
        self.identity = {
            "input_sha256": self.input_sha256, "options": options.fingerprint(),
            "lexicon_sha256": lexicon.sha256 if lexicon else "",
            "substitutions_sha256": substitutions.sha256 if substitutions else "",
            "model_name": self.model.name,
            "model_version": self.model.version,
            "signature": backend.signature,
        }
        self.evaluations = build_evaluations(options, lexicon, substitutions)
        self.rows_done = 0
        self.started_at = utc_now()
        self.previous_seconds = 0.0
        checkpoint = outputs.read_checkpoint(out_dir) if resume else None
        if resume:
            if checkpoint is None:
                raise InputError("nothing to resume: no checkpoint.json (the last run finished or never started)",
                                 out_dir)
            for key, value in self.identity.items():
                if checkpoint["identity"].get(key) != value:
                    raise InputError(f"cannot resume: {key} differs from the interrupted run "
                                     f"({checkpoint['identity'].get(key)!r} then, {value!r} now)", out_dir)
        self.tally = Tally(self.evaluations, options, self.model.class_names,
                           [Example(**e) for e in checkpoint["examples"]] if resume else ())
        if resume:
            for record in outputs.read_partial_records(out_dir, checkpoint["records"]):
                self.tally.builder.add(record)
            self.rows_done = checkpoint["rows_done"]
            self.started_at = checkpoint["started_at"]
            self.previous_seconds = checkpoint["seconds"]
        self.writer = outputs.RecordWriter(out_dir, options.redact, resume_from=checkpoint)
        self.clock = time.monotonic()

    def seconds(self):
        return self.previous_seconds + time.monotonic() - self.clock

    def state(self):
        return {"identity": self.identity, "rows_done": self.rows_done, "started_at": self.started_at,
                "seconds": self.seconds(),
                "examples": [dataclasses.asdict(example) for example in self.tally.examples.ranked()]}

    def write_batch(self, batch, outputs, prepared):
        # one write per file and batch, not per record
        self.writer.write_many(self.tally.audit(batch, outputs, prepared, self.settings, self.evaluations))
        self.rows_done = batch[-1].row


def score_corpus(corpus_path: str, backend, lexicon: Lexicon | None, out_dir: str, options: ScoreOptions | None = None,
                 gate_limits: dict | None = None, progress=None, resume: bool = False, stop=None,
                 substitutions: SubstitutionGroups | None = None) -> tuple[audit_pb2.AuditSummary, bool]:
    """Audit every row of ``corpus_path``; write records, summary and reports to ``out_dir``.

    Returns (AuditSummary, gates_passed). On bad input (InputError), a server failure
    (backends.ServerError) or a stop request (``stop`` event set -> AuditInterrupted), the
    committed records stay in *.partial files with a checkpoint and an INCOMPLETE note.
    """
    from audit_cli import report

    options = options or ScoreOptions()
    gate_limits = gate_limits or {}
    with RowReader(corpus_path, options.required_columns, options.encoding) as reader:
        run = _Run(corpus_path, backend, lexicon, out_dir, options, resume, substitutions)
        try:
            _stream(reader, run, progress, stop)
            if run.tally.builder.documents == 0:
                raise InputError("no data rows (header only)", corpus_path)
        except BaseException as error:
            run.writer.abandon(f"{type(error).__name__}: {error}", run.state(),
                               resumable=not isinstance(error, InputError))
            raise
        run.writer.commit()
    facts = RunFacts(run.model.name, run.model.version, backend.signature,
                     backend.description, os.path.abspath(corpus_path), run.input_sha256, run.started_at,
                     run.seconds(), run.window_stride)
    summary = run.tally.builder.build(audit_pb2.AuditSummary())
    passed = finish_summary(summary, facts, run.model, lexicon, options, gate_limits)
    report.write_reports(out_dir, summary, [] if options.redact else run.tally.examples.ranked())
    outputs.write_summary(out_dir, summary)
    run.writer.finish()
    return summary, passed


def explained_batches(batch_iter, backend, evaluations, max_in_flight, stop=None):
    """Yield (batch, outputs, prepared) for every batch, in order, with up to ``max_in_flight`` batches at the
    model at once (the model's threads work while this thread builds records). Once ``stop`` is set no batch is
    sent, and those already sent are still yielded."""
    pending = collections.deque()
    with futures.ThreadPoolExecutor(max_workers=max_in_flight) as pool:
        try:
            for batch in batch_iter:
                if stop is not None and stop.is_set():
                    break
                pending.append((batch, pool.submit(explain_batch, backend, batch, evaluations)))
                if len(pending) >= max_in_flight:
                    batch, future = pending.popleft()
                    yield (batch, *future.result())
            while pending:
                batch, future = pending.popleft()
                yield (batch, *future.result())
        finally:
            for _, future in pending:
                future.cancel()


def _stream(reader, run, progress, stop):
    """Write every batch's records strictly in corpus order, with a checkpoint every checkpoint_seconds."""
    last_checkpoint = time.monotonic()
    for batch, explained, prepared in explained_batches(batches(reader, run.options, run.rows_done), run.backend,
                                                        run.evaluations, run.options.max_in_flight, stop):
        run.write_batch(batch, explained, prepared)
        if time.monotonic() - last_checkpoint >= run.options.checkpoint_seconds:
            run.writer.checkpoint(run.state())
            last_checkpoint = time.monotonic()
        if progress:
            progress(run.tally.builder.documents, run.seconds(), reader.fraction_read())
    if stop is not None and stop.is_set():
        raise AuditInterrupted(getattr(stop, "signal_number", 0))
