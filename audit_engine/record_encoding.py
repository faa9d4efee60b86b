"""records.jsonl's and records.csv's lines for each window of records, encoded in a child process once an audit
expects to run long enough to pay for starting one.

Why a process: on real sentences the thread that builds records bounds the audit (the model waits for it), and
encoding the lines is about two thirds of its work per record. Encoding holds the GIL, so another thread cannot take
it off that thread; a child process can, on the other core, for the cost of serializing each record (about 2 µs).
The child encodes with the same function (``record_lines.encode``), so the files are byte-identical either way.

Windows reach the files in the order they were added. A child that cannot start, dies or answers short is closed
and its windows are encoded in this process instead: a slower audit, never a different one.
"""

from __future__ import annotations

import collections
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence

from audit_engine import record_lines
from protos import audit_pb2

Record = audit_pb2.AuditRecord
Lines = tuple[str, str, int]  # (records.jsonl text, records.csv text, records)

_SIZE = struct.Struct("<Q")
_SIZES = struct.Struct("<QQ")
_RECORD_SIZE = struct.Struct("<I")
# Texts cross the pipe as UTF-8; surrogatepass keeps a str that UTF-8 cannot hold exactly as it was, so the file
# write fails (or not) as it would have in this process.
_ERRORS = "surrogatepass"


class EncoderFailed(Exception):
    """The child process could not answer (it exited, or never started)."""


def _frame(records: Sequence[Record]) -> bytes:
    blobs = [record.SerializeToString() for record in records]
    body = b"".join(_RECORD_SIZE.pack(len(blob)) + blob for blob in blobs)
    return _SIZE.pack(len(body)) + body


def _records(body: bytes) -> list[Record]:
    records, offset, parse = [], 0, Record.FromString
    while offset < len(body):
        (size,) = _RECORD_SIZE.unpack_from(body, offset)
        offset += _RECORD_SIZE.size
        records.append(parse(body[offset : offset + size]))
        offset += size
    return records


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EncoderFailed(f"the record encoder answered {0 if data is None else len(data)} of {size} bytes")
    return data


class EncoderProcess:
    """A child that encodes windows in the order they are submitted. ``submit`` never blocks (a sender thread
    writes to the pipe, so this thread can read an answer while the next window is still being sent)."""

    def __init__(self, redact: bool):
        if not sys.executable:
            raise OSError("no Python executable to start the record encoder with")
        self.redact = redact
        self._closed = False
        # The child imports what this process imports from, wherever that is.
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "audit_engine.record_encoding", "1" if redact else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._sender = threading.Thread(target=self._send, name="record-encoder-sender", daemon=True)
        self._sender.start()

    def _send(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (frame := self._outbox.get()) is not None:
                stdin.write(frame)
                stdin.flush()
        except OSError:
            pass  # the child is gone: ``result`` reads its end of file and says so
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    @property
    def pid(self) -> int:
        """The child's process id (what a caller measuring the audit's CPU reads)."""
        return self._process.pid

    def submit(self, records: Sequence[Record]) -> None:
        self._outbox.put(_frame(records))

    def result(self) -> tuple[str, str]:
        """The oldest submitted window's lines (waits for them)."""
        stdout = self._process.stdout
        assert stdout is not None
        jsonl_size, csv_size = _SIZES.unpack(_read_exactly(stdout, _SIZES.size))
        jsonl = _read_exactly(stdout, jsonl_size).decode("utf-8", _ERRORS)
        return jsonl, _read_exactly(stdout, csv_size).decode("utf-8", _ERRORS)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Closing our end of the answers first ends a child still writing one (it is not wanted any more), and with
        # it a send still in progress; an idle child ends when the sender closes its input.
        self._outbox.put(None)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._sender.join(timeout=10)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


# A child costs about 0.3 s of CPU to start and saves about a tenth of an audit's time on real sentences (measured
# on 2 cores: 8,000 sentences audited 10 % slower with one, 30,000 10 % faster): it is started only when the audit
# expects at least this long still to go (the caller's estimate runs low, as the reader reads ahead).
CHILD_MIN_SECONDS_LEFT = 1.5
# A child started before the model loads costs the audit nothing (it starts on the other core while this process
# imports TensorFlow), so it pays from the first window; below this size a corpus audits in well under a second and
# the child would be idle. About 4,000 short sentences.
EARLY_START_BYTES = 256 * 1024


def start_early(corpus_path: str, redact: bool) -> EncoderProcess | None:
    """An EncoderProcess for an audit of ``corpus_path`` that is about to load its model, or None (a small corpus,
    or a child that cannot start: the audit then decides as usual). The caller passes it to the audit, which
    closes it; closing it again is harmless."""
    try:
        if os.path.getsize(corpus_path) < EARLY_START_BYTES:
            return None
        return EncoderProcess(redact)
    except (OSError, ValueError):
        return None


class WindowEncoder:
    """Encodes windows of records in order: the first ``in_process_windows`` here, the rest in an EncoderProcess
    once the audit expects CHILD_MIN_SECONDS_LEFT or more still to go (a short audit never starts one). Given a
    ``process`` started beforehand (``start_early``), every window goes to it. ``add`` returns the windows whose
    lines are ready, oldest first; ``drain`` the rest."""

    def __init__(self, redact: bool, in_process_windows: int = 1, process: EncoderProcess | None = None):
        self._redact = redact
        self._in_process_windows = in_process_windows
        self._windows = 0
        if process is not None and process.redact != redact:
            process.close()  # started for other settings: not this audit's
            process = None
        self._process: EncoderProcess | None = process
        self._failed = False
        self._pending: collections.deque[Sequence[Record]] = collections.deque()

    def add(self, records: Sequence[Record], seconds_left: float = float("inf")) -> list[Lines]:
        """``seconds_left``: how long the caller expects its audit still to take (an estimate)."""
        self._windows += 1
        if (
            self._windows > self._in_process_windows
            and seconds_left >= CHILD_MIN_SECONDS_LEFT
            and self._process is None
            and not self._failed
        ):
            try:
                self._process = EncoderProcess(self._redact)
            except (OSError, ValueError):
                self._failed = True
        if self._process is not None:
            self._process.submit(records)
        self._pending.append(records)
        ready = []
        # One window at the child while the next is built: the child encodes on the other core meanwhile.
        while len(self._pending) > (1 if self._process is not None else 0):
            ready.append(self._finish_oldest())
        return ready

    def drain(self) -> list[Lines]:
        return [self._finish_oldest() for _ in range(len(self._pending))]

    def _finish_oldest(self) -> Lines:
        records = self._pending.popleft()
        if self._process is not None:
            try:
                return (*self._process.result(), len(records))
            except (EncoderFailed, OSError, ValueError):  # the child, or our end of its pipe, is gone
                self._failed = True
                self.close()  # every window still pending is encoded here
        return (*record_lines.encode(records, self._redact), len(records))

    def close(self) -> None:
        """Stop the child. Windows still pending stay pending: ``drain`` encodes them here."""
        process, self._process = self._process, None
        if process is not None:
            process.close()


def _serve(redact: bool) -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while len(header := stdin.read(_SIZE.size)) == _SIZE.size:
        jsonl, csv = record_lines.encode(_records(stdin.read(_SIZE.unpack(header)[0])), redact)
        jsonl_bytes, csv_bytes = jsonl.encode("utf-8", _ERRORS), csv.encode("utf-8", _ERRORS)
        stdout.write(_SIZES.pack(len(jsonl_bytes), len(csv_bytes)) + jsonl_bytes + csv_bytes)
        stdout.flush()


if __name__ == "__main__":
    # A Ctrl-C or a TERM sent to the whole process group is the parent's to handle (it finishes its batches and
    # writes a checkpoint); the child ends when the parent closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        _serve(sys.argv[1:] == ["1"])
    except BrokenPipeError:
        pass  # the parent went away
