import os
import socket
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from trainer import example_data
from trainer.train import FitSettings, ModelSettings, train_from_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(ROOT, "..", "shared", "data")
TINY_MODEL = ModelSettings(max_tokens=12, vocabulary_size=60, embedding_dim=8, hidden_units=8)


@pytest.fixture(scope="session")
def example_paths(tmp_path_factory):
    return example_data.write_example_corpus(str(tmp_path_factory.mktemp("data")), seed=3,
                                             train_rows=400, test_rows=120)


@pytest.fixture(scope="session")
def tiny_export(example_paths, tmp_path_factory):
    """A tiny penalised model trained for one epoch and exported as models/tiny/1."""
    base = str(tmp_path_factory.mktemp("models"))
    result = train_from_files(example_paths["train"], forbidden_path=example_paths["forbidden"],
                              model_settings=TINY_MODEL,
                              fit_settings=FitSettings(penalty_weight=1.0, epochs=1, batch_size=32, seed=1),
                              export_dir=base, model_name="tiny", verbose=0)
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, model_name, base_path, extra=()):
        self.port = free_port()
        self.args = [sys.executable, "-m", "serving.server", "--port", str(self.port), "--model_name", model_name,
                     "--model_base_path", base_path, "--file_system_poll_wait_seconds", "0.2", *extra]
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("PORT "):
                return
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"audit-serve exited: {self.process.stderr.read()}")
        raise RuntimeError("audit-serve did not start")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def tiny_server(tiny_export):
    base = os.path.dirname(tiny_export.export_path)
    server = ServerProcess("tiny", base)
    yield server
    server.stop()
