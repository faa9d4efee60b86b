import os
import signal
import subprocess

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest
from server_process import AuditServeProcess, free_port  # noqa: F401 (tests import them from here)

from saliency_demo import example_data

# TensorFlow loads only in the fixtures that train a model: the unit tier (tests/unit) runs without it.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(ROOT, "..", "shared", "data")
TINY_MODEL_SIZES = dict(max_tokens=12, vocabulary_size=60, embedding_dim=8, hidden_units=8)


def start_command(args, sigint=signal.SIG_DFL, **popen):
    """A command line started in ROOT with SIGINT as ``sigint``: by default as a terminal's foreground job has it
    (a Ctrl-C reaches a process that handles it), whatever the shell that started the tests left it as (a
    background job of a shell without job control inherits it ignored, and Python then keeps it ignored)."""
    return subprocess.Popen(list(args), cwd=ROOT, preexec_fn=lambda: signal.signal(signal.SIGINT, sigint), **popen)


def count_record_encoders(monkeypatch):
    """Every record-encoding child an audit starts from now on, in a list this returns; each counts the windows it
    was given (``windows``)."""
    from audit_engine import record_encoding

    started = []

    class Counted(record_encoding.EncoderProcess):
        def __init__(self, redact):
            super().__init__(redact)
            self.windows = 0
            started.append(self)

        def submit(self, records):
            self.windows += 1
            super().submit(records)

    monkeypatch.setattr(record_encoding, "EncoderProcess", Counted)
    return started


def encode_in_a_child(monkeypatch):
    """Records' lines encoded in a child process from an audit's second window on, however short the audit (as a
    long audit does); returns the list of the children started (count_record_encoders)."""
    from audit_engine import record_encoding

    monkeypatch.setattr(record_encoding, "CHILD_MIN_SECONDS_LEFT", 0.0)
    return count_record_encoders(monkeypatch)


def tiny_model_settings():
    from trainer.train import ModelSettings
    return ModelSettings(**TINY_MODEL_SIZES)


@pytest.fixture(scope="session")
def example_paths(tmp_path_factory):
    return example_data.write_example_corpus(str(tmp_path_factory.mktemp("data")), seed=3,
                                             train_rows=400, test_rows=120)


@pytest.fixture(scope="session")
def tiny_export(example_paths, tmp_path_factory):
    """A tiny penalised model trained for one epoch and exported as models/tiny/1."""
    from trainer.penalties import PenaltyConfig
    from trainer.train import DataSources, ExportSettings, FitSettings, train_from_files
    base = str(tmp_path_factory.mktemp("models"))
    result = train_from_files(example_paths["train"], DataSources(forbidden_path=example_paths["forbidden"]),
                              tiny_model_settings(), FitSettings(PenaltyConfig(input_gradient_weight=1.0), epochs=1, batch_size=32,
                                                      seed=1),
                              ExportSettings(base, "tiny", integrated_gradients_steps=8), verbose=0)
    return result


ServerProcess = AuditServeProcess


@pytest.fixture(scope="session")
def tiny_server(tiny_export):
    base = os.path.dirname(tiny_export.export_path)
    server = ServerProcess("tiny", base)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path, monkeypatch):
    """Every test runs in its own folder, so that nothing a command writes by default (audit-output/, its lock)
    lands in the repository."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _no_leftover_verbosity():
    """--debug and --verbose set environment variables for the whole process (worker processes inherit them);
    an in-process CliRunner test must not leave them to the next test (with --debug an OSError is not exit 4)."""
    names = ("SALIENCY_AUDIT_DEBUG", "SALIENCY_AUDIT_VERBOSE")
    for name in names:
        os.environ.pop(name, None)
    yield
    for name in names:
        os.environ.pop(name, None)


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KiB tmpfs (a full or, remounted, a read-only disk); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)
