"""Streaming, strict reading of CSV and JSONL corpora, with errors that name file, line and column."""

import codecs
import collections
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from saliency_core import streamed_rows
from saliency_core.errors import InputError
from saliency_core.hashing import file_sha256
from saliency_core.streamed_rows import (
    OTHER_FIELDS_CHARACTERS,
    Budget,
    CappedSink,
    Collector,
    RowSyntaxError,
    RowTooLong,
    Sink,
    csv_records,
    json_object,
)
from saliency_core.text import MAX_CHARACTERS_PER_TOKEN, CappedText, cap_text, lone_surrogate

HEADER_CHARACTERS = 64 << 20  # a CSV header's names, together

OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _decoded_pieces(binary: BinaryIO, path: str, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line, a line longer than PIECE_BYTES in several pieces (each but its last
    without the newline); decoding errors and NUL bytes are reported at their line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    number, offset = 1, 0  # the line, and the bytes of it read before this piece
    while raw := binary.readline(streamed_rows.PIECE_BYTES):
        try:
            piece = decoder.decode(raw)
        except UnicodeDecodeError as error:
            raise InputError(
                f"bytes that are not valid {encoding} (byte {offset + error.start} of the line: "
                f"{raw[error.start : error.start + 4]!r}); pass --encoding if the file uses another "
                "encoding",
                path,
                number,
            ) from None
        if number == 1 and offset == 0:
            piece = piece.lstrip("\ufeff")
        if "\x00" in piece:
            raise InputError("NUL byte in the data; the file looks binary or corrupted", path, number)
        yield number, piece
        if raw.endswith(b"\n"):
            number, offset = number + 1, 0
        else:
            offset += len(raw)


def _check_unicode(value, path, line, column):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(lone_surrogate(value, error), path, line, column) from None


def check_readable(path: str) -> None:
    if str(path) == "-":
        raise InputError(
            "reading standard input is not supported (the audit reads the file twice, for its "
            "fingerprint and for --resume offsets); save it to a file first",
            path,
        )
    if not os.path.exists(path):
        raise InputError("file not found", path)
    if os.path.isdir(path):
        raise InputError("is a directory, expected a file", path)
    if os.path.getsize(path) == 0:
        raise InputError("file is empty", path)


class LocalFiles:
    """How a reader reaches a file: here, the local file system. A seam: the Beam pipeline passes its own
    (audit_beam.files.BeamFiles: gs://, s3://, hdfs://, ... through Beam's FileSystems)."""

    def check_readable(self, path: str) -> None:
        check_readable(path)

    def open(self, path: str) -> BinaryIO:
        return open(path, "rb")

    def size(self, path: str) -> int:
        return os.path.getsize(path)

    def join(self, folder: str, name: str) -> str:
        return os.path.join(folder, name)

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def is_remote(self, path: str) -> bool:
        """Whether ``path`` is on another file system (no links, no local absolute path); never, here."""
        return False

    def sha256(self, path: str) -> str:
        return file_sha256(path, lambda name, _mode: self.open(name))

    def files_under(self, folder: str) -> list[str]:
        """Every file below ``folder``, as sorted relative paths with '/' (links and special files included: a
        caller that reads them decides)."""
        found = []
        for parent, folders, names in os.walk(folder):
            folders.sort()
            found += [os.path.relpath(os.path.join(parent, n), folder).replace(os.sep, "/") for n in names]
        return sorted(found)


LOCAL_FILES = LocalFiles()

MAGIC = {
    b"\x1f\x8b": "gzip-compressed",
    b"PK\x03\x04": "a zip archive",
    b"BZh": "bzip2-compressed",
    b"\xfd7zXZ": "xz-compressed",
}


def check_known_encoding(encoding: str, path: str | None = None) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", path) from None


def check_encoding(encoding: str, path: str | None = None) -> None:
    """An encoding this reader can stream: known, and a newline is the single byte 0x0A (not UTF-16/32)."""
    check_known_encoding(encoding, path)
    if "\n".encode(encoding, errors="replace") != b"\n":
        raise InputError(
            f"--encoding {encoding}: only encodings in which a newline is the byte 0x0A can be "
            "streamed (UTF-8, Latin-1, cp1252, ...); convert the file to UTF-8",
            path,
        )


def check_content(path: str, encoding: str, files: LocalFiles = LOCAL_FILES) -> None:
    """Refuse what this reader cannot read correctly, with a message that says what the file is."""
    check_encoding(encoding, path)
    with files.open(path) as f:
        head = f.read(65536)
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise InputError(f"the file is {what}; decompress it first", path)
    if b"\r" in head and b"\n" not in head and head.count(b"\r") > 1:
        raise InputError("the file uses CR-only (classic Mac) line endings; convert them to LF or CRLF", path)


def is_jsonl(path: str, files: LocalFiles = LOCAL_FILES) -> bool:
    """JSON Lines by suffix (.jsonl, .ndjson), or a .json file whose first character opens an object."""
    name = str(path).lower()
    if name.endswith((".jsonl", ".ndjson")):
        return True
    if name.endswith(".json"):
        with files.open(path) as f:
            first = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if first == b"[":
            raise InputError("a JSON array: write one JSON object per line (JSON Lines) instead", path)
        return first == b"{"
    return False


class RowReader:
    """Iterate over (line_number, row dict) of a CSV or JSONL file, checking required columns.

    ``required_columns[0]`` is the text column (in JSONL it must hold strings; the other required columns may
    also hold integers). ``columns`` (the header) is known after construction. Use as a context manager.
    ``files``: how the file is reached (LocalFiles, or Beam's FileSystems in the pipeline).

    ``text_cap`` (tokens): the text column's value is a ``CappedText`` (saliency_core.text.cap_text) and no row is
    held whole: a line is read in pieces, the text keeps what the cap allows, and the row's other fields together
    may hold at most OTHER_FIELDS_CHARACTERS + ``text_cap`` * MAX_CHARACTERS_PER_TOKEN characters.
    """

    def __init__(
        self,
        path: str,
        required_columns: Sequence[str | None] = (),
        encoding: str = "utf-8",
        files: LocalFiles = LOCAL_FILES,
        text_cap: int | None = None,
    ) -> None:
        files.check_readable(path)
        check_content(path, encoding, files)  # a known, streamable encoding; not a compressed file
        self.path = str(path)
        self.encoding = encoding
        self.jsonl = is_jsonl(path, files)
        self.required = [c for c in required_columns if c]
        self.text_cap = text_cap
        self.other_characters = (
            None if text_cap is None else OTHER_FIELDS_CHARACTERS + text_cap * MAX_CHARACTERS_PER_TOKEN
        )
        self._binary = files.open(path)
        self.size = files.size(path)
        self._line = 1
        self._pieces = self._numbered(_decoded_pieces(self._binary, self.path, encoding))
        self._budget = Budget(None)
        self._text_index = -1
        self.columns: list[str] = []
        if self.jsonl:
            self._objects = self._json_objects()
            self._pending = next(self._objects, None)
            self.columns = list(self._pending[1]) if self._pending else []
        else:
            self._records = csv_records(self._pieces, self._sink_for, self._new_record)
            try:
                header = next(self._records, (0, 0, []))[2]
            except RowSyntaxError as error:
                raise InputError(f"unreadable CSV header: {error}", self.path, 1) from None
            except RowTooLong:
                raise InputError("the header is too long", self.path, 1) from None
            self.columns = [c.strip() for c in header]
        if not self.columns:
            self.close()
            raise InputError("no header row", self.path, 1)
        counts = collections.Counter(self.columns)  # linear in the header's width (list.count per column is not)
        duplicates = sorted(c for c, n in counts.items() if n > 1)
        if duplicates:
            self.close()
            raise InputError(
                f"duplicate column name {duplicates[0]!r} in the header: which one is meant is ambiguous",
                self.path,
                1,
                duplicates[0],
            )
        missing = [c for c in required_columns if c and c not in self.columns]
        if missing:
            self.close()
            hint = ""
            if not self.jsonl and len(self.columns) == 1:
                for delimiter, name in OTHER_DELIMITERS.items():
                    if delimiter in self.columns[0]:
                        hint = f"; the file seems to be {name}-delimited, expected comma-separated CSV"
            raise InputError(
                f"missing column {missing[0]!r}; columns found: {self.columns}{hint}", self.path, 1, missing[0]
            )
        if text_cap is not None and not self.jsonl:
            self._text_index = self.columns.index(self.required[0])

    def _numbered(self, pieces: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        for number, piece in pieces:
            self._line = number
            yield number, piece

    def _new_record(self) -> None:
        self._budget = Budget(self.other_characters if self.jsonl or self.columns else HEADER_CHARACTERS)

    def _sink_for(self, key: int | str) -> Sink:
        if key == self._text_index or (self.jsonl and self.text_cap is not None and key == self.required[0]):
            return CappedSink(self.text_cap)  # type: ignore[arg-type]
        return Collector(self._budget, key)

    def _too_long(self, key: object) -> InputError:
        column = key if isinstance(key, str) else None
        if isinstance(key, int) and key < len(self.columns):
            column = self.columns[key]
        return InputError(
            f"the row's fields besides its text hold more than {self.other_characters:,} characters "
            "(the bound that --max-document-tokens sets)",
            self.path,
            self._line,
            column,
        )

    def _json_objects(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line, object) of every non-blank line; a line longer than a piece is parsed piece by piece."""
        pieces = self._pieces
        for number, piece in pieces:
            if piece.endswith("\n") or (following := next(pieces, None)) is None:
                if not piece.strip():
                    continue
                try:
                    value = json.loads(piece)
                except json.JSONDecodeError as error:
                    raise InputError(f"invalid JSON: {error.msg}", self.path, number) from None
                except RecursionError:
                    raise InputError("JSON nested too deeply", self.path, number) from None
                if not isinstance(value, dict):
                    raise InputError("each JSONL line must be an object", self.path, number)
                yield number, value
                continue
            rest = self._rest_of_line(following)
            self._new_record()
            try:
                value = json_object(piece, rest, self._sink_for, self._budget)
            except RowSyntaxError as error:
                raise InputError(_json_message(str(error)), self.path, number) from None
            except RowTooLong as error:
                raise self._too_long(error.args[0]) from None
            except RecursionError:
                raise InputError("JSON nested too deeply", self.path, number) from None
            except ValueError as error:  # a lone surrogate in the text
                raise InputError(str(error), self.path, number, self.required[0]) from None
            for _ in rest:  # json_object read to the end of the line; this only keeps the line count right
                pass
            yield number, value

    def _rest_of_line(self, following: tuple[int, str]) -> Iterator[str]:
        piece = following[1]
        while True:
            yield piece
            if piece.endswith("\n"):
                return
            item = next(self._pieces, None)
            if item is None:
                return
            piece = item[1]

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.jsonl:
            while self._pending is not None:
                number, value = self._pending
                yield number, self._json_row(number, value)
                self._pending = next(self._objects, None)
            return
        width = len(self.columns)
        while True:
            try:
                item = next(self._records, None)
            except RowSyntaxError as error:
                if error.unclosed:
                    raise InputError(
                        "a quoted field opens on this line and is never closed (the rest of the file "
                        "would be read as one field)",
                        self.path,
                        error.line,
                    ) from None
                raise InputError(f"unreadable CSV: {error}", self.path, error.line) from None
            except RowTooLong as error:
                raise self._too_long(error.args[0]) from None
            if item is None:
                return
            _, last, values = item
            if len(values) == 1 and not _text_of(values[0]).strip():
                continue
            if len(values) != width:
                raise InputError(f"expected {width} fields as in the header, found {len(values)}", self.path, last)
            yield last, dict(zip(self.columns, values))

    def fraction_read(self) -> float:
        """Bytes consumed / file size, in [0, 1]: the progress of a streamed read (read-ahead makes it lead a
        little)."""
        try:
            return min(1.0, self._binary.tell() / max(self.size, 1))
        except (OSError, ValueError):
            return 0.0

    def _json_row(self, number: int, value: dict[str, Any]) -> dict[str, Any]:
        """JSON values of the columns the caller uses must be strings (null: empty); ids and labels may be
        integers. Objects, lists, booleans and floats would otherwise be scored as their Python text."""
        row = {}
        for key, item in value.items():
            if item is None:
                item = ""
            elif key in self.required and not isinstance(item, (str, CappedText)):
                text_column = self.required[0]
                if isinstance(item, int) and not isinstance(item, bool) and key != text_column:
                    item = str(item)
                else:
                    raise InputError(
                        f"value is a JSON {type(item).__name__}, expected a string (or null)", self.path, number, key
                    )
            if key in self.required and isinstance(item, str):
                _check_unicode(item, self.path, number, key)
            row[key] = item
        missing = [c for c in self.required if c not in row]
        if missing:
            raise InputError(f"missing key {missing[0]!r}", self.path, number, missing[0])
        if self.text_cap is not None and not isinstance(row[self.required[0]], CappedText):
            row[self.required[0]] = cap_text(row[self.required[0]], self.text_cap)
        return row

    def close(self) -> None:
        self._binary.close()

    def __enter__(self) -> "RowReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _text_of(value: str | CappedText) -> str:
    return value.text if isinstance(value, CappedText) else value


def _json_message(message: str) -> str:
    return message if message.startswith("each JSONL") else f"invalid JSON: {message}"
