"""CSV records and long JSON Lines objects parsed from pieces of lines, so that no row is ever held whole.

A line is read in pieces of at most ``PIECE_BYTES``; each field's characters go to a *sink* as they are parsed: the
text column's to a ``TextCapper`` (which keeps what the token cap allows, counts and hashes the rest), every other
field's to a ``Collector`` that shares one budget per row. So one row costs at most its kept text, its budget and
one piece, whatever the length of its line.

The CSV grammar is Python's ``csv`` module's default dialect read with ``strict=True`` (comma, double quote, a
doubled quote inside quotes, CRLF or LF ends a record, a quote opens a quoted field only at a field's start);
tests/unit/test_streamed_rows.py checks the two agree on generated files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from saliency_core.text import CappedText, TextCapper, cap_text, utf8

PIECE_BYTES = 1 << 20  # a line longer than this is parsed piece by piece
OTHER_FIELDS_CHARACTERS = 1 << 20  # a row's fields besides its text, together (plus what the token cap allows)


class RowTooLong(Exception):
    """A row's fields besides its text hold more than its budget: (column index or JSON key)."""


class RowSyntaxError(Exception):
    """Malformed CSV or JSON: the message, and whether it is a quote never closed (reported at the record's start)."""

    def __init__(self, message: str, unclosed: bool = False, line: int = 0) -> None:
        super().__init__(message)
        self.unclosed = unclosed
        self.line = line


class Sink(Protocol):
    def feed(self, piece: str) -> None: ...

    def value(self) -> str | CappedText: ...


class Budget:
    """Characters a row's fields besides its text may still take."""

    __slots__ = ("left",)

    def __init__(self, characters: int | None) -> None:
        self.left = characters


class Collector:
    """A field's characters, within its row's budget."""

    __slots__ = ("pieces", "budget", "name")

    def __init__(self, budget: Budget, name: object) -> None:
        self.pieces: list[str] = []
        self.budget = budget
        self.name = name

    def feed(self, piece: str) -> None:
        if self.budget.left is not None:
            self.budget.left -= len(piece)
            if self.budget.left < 0:
                raise RowTooLong(self.name)
        self.pieces.append(piece)

    def value(self) -> str:
        return "".join(self.pieces)


class CappedSink:
    """The text column's characters, as ``TextCapper`` keeps them. A text that comes in one piece no longer than the
    cap (a token takes a character, so it cannot pass the cap) is kept whole without the capper's work."""

    __slots__ = ("cap", "capper", "short")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.capper: TextCapper | None = None
        self.short: str | None = None

    def feed(self, piece: str) -> None:
        if self.capper is None:
            if self.short is None and len(piece) <= self.cap:
                self.short = piece
                return
            self.capper = TextCapper(self.cap)
            if self.short is not None:
                self.capper.feed(self.short)
                self.short = None
        self.capper.feed(piece)

    def value(self) -> CappedText:
        if self.capper is not None:
            return self.capper.finish()
        text = self.short or ""
        utf8(text)  # the capper's check of what it is fed
        return cap_text(text, self.cap)


Pieces = Iterator[tuple[int, str]]  # (line number, piece); a piece ends a line when it ends with "\n"

_UNQUOTED = re.compile(r"[^,\r\n]*")
_QUOTED = re.compile(r'[^"]*')
_RECORD, _FIELD, _UNQUOTED_FIELD, _QUOTED_FIELD, _QUOTE, _CR = range(6)


def csv_records(
    pieces: Pieces, sink_for: Callable[[int], Sink], on_record: Callable[[], None] = lambda: None
) -> Iterator[tuple[int, int, list[Any]]]:
    """(first line, last line, field values) of every record; blank lines are skipped. ``sink_for(index)`` gives
    the sink of a record's index-th field; ``on_record()`` is called as each record begins."""
    fields: list[Any] = []
    state, sink, first, line = _RECORD, None, 0, 0
    for line, piece in pieces:
        if state == _RECORD and piece[-1:] == "\n" and '"' not in piece:
            # A whole line without a quote (most rows of most corpora): its fields are its text between commas, as
            # the state machine below would find them one character class at a time.
            body = piece[:-2] if piece[-2:] == "\r\n" else piece[:-1]
            if body and "\r" not in body:
                on_record()
                fields = []
                for index, value in enumerate(body.split(",")):
                    sink = sink_for(index)
                    if value:
                        sink.feed(value)
                    fields.append(sink.value())
                yield line, line, fields
                continue
        i, n = 0, len(piece)
        while i < n:
            if state == _RECORD:
                if piece[i] in "\r\n":  # a blank line
                    state, i = (_CR if piece[i] == "\r" else _RECORD), i + 1
                    continue
                on_record()
                state, fields, first = _FIELD, [], line
            if state == _FIELD:
                sink = sink_for(len(fields))
                if piece[i] == '"':
                    state, i = _QUOTED_FIELD, i + 1
                    continue
                state = _UNQUOTED_FIELD
            if state == _UNQUOTED_FIELD:
                end = _UNQUOTED.match(piece, i).end()  # type: ignore[union-attr]
                if end > i:
                    sink.feed(piece[i:end])  # type: ignore[union-attr]
                i = end
                if i == n:
                    break
            elif state == _QUOTED_FIELD:
                end = _QUOTED.match(piece, i).end()  # type: ignore[union-attr]
                if end > i:
                    sink.feed(piece[i:end])  # type: ignore[union-attr]
                if end == n:
                    break
                state, i = _QUOTE, end + 1
                continue
            elif state == _CR:  # as csv: CR, then CR or LF until the line ends
                if piece[i] not in "\r\n":
                    raise RowSyntaxError("new-line character seen in unquoted field", line=line)
                state, i = (_RECORD if piece[i] == "\n" else _CR), i + 1
                continue
            # After an unquoted field, or after the quote that closes a quoted one.
            c = piece[i]
            i += 1
            if c == '"' and state == _QUOTE:
                sink.feed('"')  # type: ignore[union-attr]
                state = _QUOTED_FIELD
                continue
            if c not in ",\r\n":
                raise RowSyntaxError("',' expected after '\"'", line=line)
            fields.append(sink.value())  # type: ignore[union-attr]
            if c == ",":
                state = _FIELD
                continue
            state = _CR if c == "\r" else _RECORD
            yield first, line, fields
    if state == _QUOTED_FIELD:
        raise RowSyntaxError("unexpected end of data", unclosed=True, line=first)
    if state in (_FIELD, _UNQUOTED_FIELD, _QUOTE):
        if state == _FIELD:
            sink = sink_for(len(fields))
        fields.append(sink.value())  # type: ignore[union-attr]
        yield first, line, fields


class _Cursor:
    """The characters of one long line, piece by piece."""

    def __init__(self, first: str, rest: Iterator[str]) -> None:
        self.piece, self.i, self.rest = first, 0, rest

    def peek(self) -> str:
        """The next character ('' at the end of the line)."""
        while self.i >= len(self.piece):
            piece = next(self.rest, None)
            if piece is None:
                return ""
            self.piece, self.i = piece, 0
        return self.piece[self.i]

    def join_next(self) -> bool:
        """Put the rest of this piece before the next one (False at the end of the line)."""
        piece = next(self.rest, None)
        if piece is None:
            return False
        self.piece, self.i = self.piece[self.i :] + piece, 0
        return True

    def take(self) -> str:
        c = self.peek()
        self.i += 1
        return c

    def skip_space(self) -> str:
        while (c := self.peek()) in " \t\r\n" and c:
            self.i += 1
        return c

    def expect(self, wanted: str, message: str) -> None:
        if self.skip_space() != wanted:
            raise RowSyntaxError(message)
        self.i += 1


# A run of a JSON string's content: characters and complete escapes, decoded by json.loads at C speed.
_STRING_SPAN = re.compile(r'(?:[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _escapes_at(text: str, k: int) -> bool:
    """Whether the backslash at ``k`` starts an escape (an even number of backslashes before it)."""
    before = k
    while before and text[before - 1] == "\\":
        before -= 1
    return (k - before) % 2 == 0


def _read_string(cursor: _Cursor, sink: Sink) -> None:
    """The characters of a JSON string after its opening quote, decoded, to ``sink``."""
    while True:
        if not cursor.peek():
            raise RowSyntaxError("Unterminated string")
        piece, i = cursor.piece, cursor.i
        end = span_end = _STRING_SPAN.match(piece, i).end()  # type: ignore[union-attr]
        # A surrogate pair's first half near the end of the piece waits for its second half in the next piece.
        if len(piece) - end < 6 and end - i >= 6 and _HIGH_SURROGATE.fullmatch(piece, end - 6, end):
            if _escapes_at(piece, end - 6):
                span_end = end - 6
        if span_end > i:
            sink.feed(json.loads(f'"{piece[i:span_end]}"'))
        cursor.i = span_end
        if span_end == len(piece):
            continue
        c = piece[span_end]
        if c == '"':
            cursor.i += 1
            return
        if c != "\\":
            raise RowSyntaxError("Invalid control character")
        if len(piece) - span_end < 12 and cursor.join_next():  # an escape cut by the end of the piece
            continue
        raise RowSyntaxError("Invalid \\escape" if len(piece) - span_end > 1 else "Unterminated string")


def _read_other_value(cursor: _Cursor, sink: Collector) -> Any:
    """A value that is not a string (number, literal, array or object), read within the row's budget."""
    depth, in_string = 0, False
    while True:
        c = cursor.peek()
        if not c:
            break
        if in_string:
            cursor.i += 1
            sink.feed(c)
            if c == "\\":
                sink.feed(cursor.take())
            elif c == '"':
                in_string = False
            continue
        if depth == 0 and c in ",}":
            break
        cursor.i += 1
        sink.feed(c)
        if c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
    try:
        return json.loads(sink.value())
    except json.JSONDecodeError as error:
        raise RowSyntaxError(error.msg) from None


def json_object(first: str, rest: Iterator[str], sink_for: Callable[[str], Sink], budget: Budget) -> dict[str, Any]:
    """The JSON object on one long line (its first piece, then the rest), each string value read into
    ``sink_for(key)``'s sink; keys and other values take from ``budget``."""
    cursor = _Cursor(first, rest)
    if cursor.skip_space() != "{":
        raise RowSyntaxError("each JSONL line must be an object")
    cursor.i += 1
    value: dict[str, Any] = {}
    if cursor.skip_space() == "}":
        cursor.i += 1
    else:
        while True:
            cursor.expect('"', "Expecting property name enclosed in double quotes")
            key_sink = Collector(budget, "a key")
            _read_string(cursor, key_sink)
            key = key_sink.value()
            cursor.expect(":", "Expecting ':' delimiter")
            if cursor.skip_space() == '"':
                cursor.i += 1
                sink = sink_for(key)
                _read_string(cursor, sink)
                value[key] = sink.value()
            else:
                value[key] = _read_other_value(cursor, Collector(budget, key))
            c = cursor.skip_space()
            cursor.i += 1
            if c == "}":
                break
            if c != ",":
                raise RowSyntaxError("Expecting ',' delimiter")
    if cursor.skip_space():
        raise RowSyntaxError("Extra data")
    return value
