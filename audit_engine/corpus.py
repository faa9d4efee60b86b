"""Reading a corpus for the audit: its rows as CorpusRows (ids, labels, rationales checked), in batches."""

from __future__ import annotations

from collections.abc import Iterator

from audit_engine.document import CorpusRow
from audit_engine.options import BATCH_CHARACTERS, LOOK_AHEAD, AuditOptions
from saliency_core.errors import InputError
from saliency_core.marks import parse_optional_word_marks
from saliency_core.table import RowReader
from saliency_core.text import CappedText, cap_text, split_words


def corpus_rows(reader: RowReader, options: AuditOptions, skip_rows: int = 0) -> Iterator[CorpusRow]:
    """Yield a CorpusRow per data row after the first ``skip_rows`` (every row's id is still checked); a row
    with empty text has text None (it becomes a skipped record)."""
    seen_ids: dict[str, int] = {}
    label_map = dict(options.label_map)
    row_number = 0
    cap = options.max_document_tokens
    for line, row in reader:
        row_number += 1
        doc_id = str(row[options.id_column]).strip() if options.id_column else str(row_number)
        if options.id_column:
            if not doc_id:
                raise InputError("empty id", reader.path, line, options.id_column)
            if doc_id in seen_ids:
                raise InputError(
                    f"duplicate id {doc_id!r} (first at row {seen_ids[doc_id]})", reader.path, line, options.id_column
                )
            seen_ids[doc_id] = row_number
        if row_number <= skip_rows:
            continue
        value = row[options.text_column]
        # The cap applies before anything tokenizes the text: beyond it no word costs memory or time (a reader
        # opened with text_cap has applied it while reading, so that no line is held whole).
        capped = value if isinstance(value, CappedText) else cap_text("" if value is None else str(value), cap)
        text: str | None = capped.text
        label = str(row[options.label_column]).strip() if options.label_column else ""
        if label and label_map:
            if label not in label_map:
                raise InputError(
                    f"label {label!r} is not in --label-map ({sorted(label_map)})",
                    reader.path,
                    line,
                    options.label_column,
                )
            label = label_map[label]
        if not capped.text.strip():
            if options.strict:
                raise InputError("empty text", reader.path, line, options.text_column)
            text = None
        marks = None
        if options.rationale_column and text is not None:
            marks = parse_optional_word_marks(
                row[options.rationale_column], capped.word_count, reader.path, line, options.rationale_column
            )
            if marks is not None and capped.cut:
                marks = marks[: len(split_words(capped.text))]
        token_count, text_sha256 = (capped.token_count, capped.sha256) if capped.cut and text is not None else (0, "")
        yield CorpusRow(
            row_number,
            doc_id,
            text,
            label,
            marks,
            bool(options.rationale_column) and text is not None and marks is None,
            token_count,
            text_sha256,
        )


def _cut(documents: list[CorpusRow], batch_size: int) -> Iterator[list[CorpusRow]]:
    """Lists of CorpusRow holding ``batch_size`` texts each, or fewer once their characters pass
    BATCH_CHARACTERS (skipped rows ride along)."""
    batch: list[CorpusRow] = []
    texts_in_batch = characters = 0
    for document in documents:
        if document.text is not None and texts_in_batch and characters + len(document.text) > BATCH_CHARACTERS:
            yield batch
            batch, texts_in_batch, characters = [], 0, 0
        batch.append(document)
        if document.text is not None:
            texts_in_batch += 1
            characters += len(document.text)
        if texts_in_batch >= batch_size:
            yield batch
            batch, texts_in_batch, characters = [], 0, 0
    if batch:
        yield batch


def _words(document: CorpusRow) -> int:
    return 0 if document.text is None else len(document.text.split())


def window_batches(window: list[CorpusRow], batch_size: int) -> list[list[CorpusRow]]:
    """One window's rows ordered by word count (then row) and cut into batches of ``batch_size`` texts."""
    return list(_cut(sorted(window, key=lambda d: (_words(d), d.row)), batch_size))


def windows(reader: RowReader, options: AuditOptions, skip_rows: int = 0) -> Iterator[list[list[CorpusRow]]]:
    """The corpus in windows of consecutive rows, each cut into batches of texts of similar length: the model runs
    as many steps as a batch's longest text needs, so short texts batched together cost only their own length.

    A window holds up to LOOK_AHEAD batches (and LOOK_AHEAD x BATCH_CHARACTERS characters); within it texts are
    ordered by word count (then row), so a window's batches depend on its rows alone: audit-cli, its resumed runs
    and audit-beam cut the same batches. Records are written back in row order (explaining.explained_windows)."""
    window: list[CorpusRow] = []
    texts = characters = 0
    for document in corpus_rows(reader, options, skip_rows):
        window.append(document)
        if document.text is not None:
            texts += 1
            characters += len(document.text)
        if texts >= options.batch_size * LOOK_AHEAD or characters >= LOOK_AHEAD * BATCH_CHARACTERS:
            yield window_batches(window, options.batch_size)
            window, texts, characters = [], 0, 0
    if window:
        yield window_batches(window, options.batch_size)
