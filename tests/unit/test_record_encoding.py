"""Records encoded in the child process are byte-identical to those encoded in this one, in order, and a child that
dies mid-audit costs speed, not records. A real child process (python -m audit_engine.record_encoding) on pipes."""

import random

import pytest
from test_record_json import random_record

from audit_engine import record_encoding
from audit_engine.record_encoding import WindowEncoder
from audit_engine.record_lines import encode


def windows_of(rng, count):
    return [[random_record(rng) for _ in range(rng.randint(0, 40))] for _ in range(count)]


def encode_all(encoder, windows):
    lines = []
    for window in windows:
        lines += encoder.add(window)
    lines += encoder.drain()
    encoder.close()
    return lines


@pytest.mark.parametrize("redact", [False, True])
def test_the_child_writes_what_this_process_writes(redact):
    rng = random.Random(3)
    windows = windows_of(rng, 12)
    expected = [(*encode(window, redact), len(window)) for window in windows]
    encoder = WindowEncoder(redact, in_process_windows=0)
    assert encode_all(encoder, windows) == expected
    assert not encoder._failed  # the child answered every window: nothing fell back to this process


def test_an_audit_of_one_window_starts_no_child():
    encoder = WindowEncoder(False)
    window = windows_of(random.Random(4), 1)[0]
    assert encoder.add(window) == [(*encode(window, False), len(window))]
    assert encoder._process is None
    encoder.close()


def test_a_child_that_dies_costs_speed_not_records():
    rng = random.Random(5)
    windows = windows_of(rng, 8)
    expected = [(*encode(window, False), len(window)) for window in windows]
    encoder = WindowEncoder(False, in_process_windows=0)
    lines = encoder.add(windows[0]) + encoder.add(windows[1])
    child = encoder._process._process
    child.kill()
    child.wait()
    for window in windows[2:]:
        lines += encoder.add(window)
    lines += encoder.drain()
    encoder.close()
    assert lines == expected
    assert encoder._failed and encoder._process is None


def test_a_child_that_cannot_start_leaves_the_encoding_here(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(record_encoding.subprocess, "Popen", refuse)
    windows = windows_of(random.Random(6), 3)
    encoder = WindowEncoder(False, in_process_windows=0)
    assert encode_all(encoder, windows) == [(*encode(w, False), len(w)) for w in windows]


def test_closing_ends_the_child_even_with_answers_unread():
    encoder = WindowEncoder(False, in_process_windows=0)
    windows = windows_of(random.Random(7), 3)
    for window in windows:
        encoder.add(window)
    child = encoder._process._process
    encoder.close()  # one window's answer is still in the pipe
    assert child.poll() is not None


def test_a_child_started_early_encodes_every_window_and_closes_once():
    windows = windows_of(random.Random(8), 4)
    process = record_encoding.EncoderProcess(False)
    with open(f"/proc/{process.pid}/cmdline", "rb") as cmdline:  # the pid a caller measures is the child's
        assert b"audit_engine.record_encoding" in cmdline.read()
    encoder = WindowEncoder(False, process=process)
    lines = encoder.add(windows[0])
    assert lines == [] and encoder._process is process  # the first window went to the child, too
    for window in windows[1:]:
        lines += encoder.add(window)
    lines += encoder.drain()
    encoder.close()
    assert lines == [(*encode(w, False), len(w)) for w in windows]
    assert not encoder._failed and process._process.poll() is not None
    process.close()  # the caller's own close, after the audit's: harmless


def test_a_child_started_for_other_settings_is_not_used():
    process = record_encoding.EncoderProcess(True)
    encoder = WindowEncoder(False, in_process_windows=5, process=process)
    window = windows_of(random.Random(9), 1)[0]
    assert encoder.add(window) == [(*encode(window, False), len(window))]
    assert encoder._process is None and process._process.wait(timeout=10) is not None
    encoder.close()


def test_only_a_corpus_worth_it_starts_a_child_early(tmp_path, monkeypatch):
    small = tmp_path / "small.csv"
    small.write_text("id,text\n1,a\n")
    assert record_encoding.start_early(str(small), False) is None
    assert record_encoding.start_early(str(tmp_path / "missing.csv"), False) is None
    monkeypatch.setattr(record_encoding, "EARLY_START_BYTES", small.stat().st_size)
    process = record_encoding.start_early(str(small), True)
    assert process is not None and process.redact
    process.close()
    assert process._process.poll() is not None
