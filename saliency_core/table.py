"""Streaming, strict reading of CSV and JSONL corpora, with errors that name file, line and column."""

import codecs
import collections
import csv
import json
import os
from typing import BinaryIO

from saliency_core.errors import InputError

# A 10 MB document is legal input; csv's default limit (128 KiB) would reject it.
csv.field_size_limit(256 * 1024 * 1024)

OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _decoded_lines(binary, path, encoding):
    """Yield (line_number, text) with decoding errors reported at their line."""
    decoder_factory = codecs.getincrementaldecoder(encoding)
    decoder = decoder_factory(errors="strict")
    first = True
    for number, raw in enumerate(binary, start=1):
        try:
            line = decoder.decode(raw)
        except UnicodeDecodeError as error:
            raise InputError(
                f"bytes that are not valid {encoding} (byte {error.start} of the line: "
                f"{raw[error.start : error.start + 4]!r}); pass --encoding if the file uses another "
                "encoding",
                path,
                number,
            ) from None
        if first:
            line = line.lstrip("\ufeff")
            first = False
        if "\x00" in line:
            raise InputError("NUL byte in the data; the file looks binary or corrupted", path, number)
        yield number, line


def _check_unicode(value, path, line, column):
    """JSON's \\ud800 escapes decode to lone surrogates, which no UTF-8 text (and so no model input) can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(
            f"a lone surrogate (\\u{ord(value[error.start]):04x}) at character {error.start}: not valid Unicode text",
            path,
            line,
            column,
        ) from None


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
    """

    def __init__(self, path, required_columns=(), encoding="utf-8", files: LocalFiles = LOCAL_FILES):
        files.check_readable(path)
        check_content(path, encoding, files)  # a known, streamable encoding; not a compressed file
        self.path = str(path)
        self.encoding = encoding
        self.jsonl = is_jsonl(path, files)
        self._binary = files.open(path)
        self.size = files.size(path)
        self._lines = _decoded_lines(self._binary, self.path, encoding)
        if self.jsonl:
            self._pending = self._next_json()
            self.columns = list(self._pending[1]) if self._pending else []
        else:
            self._line_number = 0
            # strict: a quote opened and never closed is an error, not every later row swallowed into one field.
            self._csv = csv.reader(self._numbered_lines(), strict=True)
            try:
                header = next(self._csv)
            except StopIteration:
                header = []
            except csv.Error as error:
                raise InputError(f"unreadable CSV header: {error}", self.path, 1) from None
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
        self.required = [c for c in required_columns if c]
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

    def _numbered_lines(self):
        for number, line in self._lines:
            self._line_number = number
            yield line

    def _next_json(self):
        for number, line in self._lines:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"invalid JSON: {error.msg}", self.path, number) from None
            except RecursionError:
                raise InputError("JSON nested too deeply", self.path, number) from None
            if not isinstance(value, dict):
                raise InputError("each JSONL line must be an object", self.path, number)
            return number, value
        return None

    def __iter__(self):
        if self.jsonl:
            while self._pending is not None:
                number, value = self._pending
                yield number, self._json_row(number, value)
                self._pending = self._next_json()
            return
        width = len(self.columns)
        while True:
            record_start = self._line_number + 1
            try:
                values = next(self._csv)
            except StopIteration:
                return
            except csv.Error as error:
                if "unexpected end of data" in str(error):
                    raise InputError(
                        "a quoted field opens on this line and is never closed (the rest of the file "
                        "would be read as one field)",
                        self.path,
                        record_start,
                    ) from None
                raise InputError(f"unreadable CSV: {error}", self.path, self._line_number) from None
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if len(values) != width:
                raise InputError(
                    f"expected {width} fields as in the header, found {len(values)}", self.path, self._line_number
                )
            yield self._line_number, dict(zip(self.columns, values))

    def fraction_read(self) -> float:
        """Bytes consumed / file size, in [0, 1]: the progress of a streamed read (read-ahead makes it lead a
        little)."""
        try:
            return min(1.0, self._binary.tell() / max(self.size, 1))
        except (OSError, ValueError):
            return 0.0

    def _json_row(self, number, value):
        """JSON values of the columns the caller uses must be strings (null: empty); ids and labels may be
        integers. Objects, lists, booleans and floats would otherwise be scored as their Python text."""
        row = {}
        for key, item in value.items():
            if item is None:
                item = ""
            elif key in self.required and not isinstance(item, str):
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
        return row

    def close(self) -> None:
        self._binary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
