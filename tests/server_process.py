"""audit-serve as a child process on loopback, for tests, benchmarks and scripts."""

import os
import socket
import subprocess
import sys
import tempfile
import time

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AuditServeProcess:
    """Starts ``audit-serve`` and waits for its ``PORT`` line. The port is kept across restarts.

    The server's stderr goes to a log file (a pipe nobody reads would block the server once full).
    """

    def __init__(self, model_name, base_path, extra=(), poll_seconds=0.2, port=None, python=None):
        self.port = port or free_port()
        # python: the interpreter of a full install (the light client's tests run without TensorFlow).
        # model_name None: the models come from a --model_config_file in ``extra``.
        model = ["--model_name", model_name, "--model_base_path", str(base_path)] if model_name else []
        self.args = [python or sys.executable, "-m", "serving.cli", "--port", str(self.port), *model,
                     "--file_system_poll_wait_seconds", str(poll_seconds), *extra]
        self.log = tempfile.NamedTemporaryFile(prefix="audit-serve-", suffix=".log", delete=False)
        self.process = None
        self.rest_port = None
        self.start()

    def start(self, timeout=120):
        self.process = subprocess.Popen(self.args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=self.log,
                                        text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("REST_PORT "):
                self.rest_port = int(line.split()[1])
            if line.startswith("PORT "):
                return self
            if not line and self.process.poll() is not None:
                with open(self.log.name) as f:
                    raise RuntimeError(f"audit-serve exited: {f.read()[-2000:]}")
        raise RuntimeError("audit-serve did not start")

    @property
    def pid(self):
        return self.process.pid

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


KSERVE_VENV = os.path.join(PROJECT_ROOT, ".venv-kserve")
KSERVE_MODEL = os.path.join(PROJECT_ROOT, "tests", "kserve_model")


class MLServerProcess:
    """MLServer (an Open Inference Protocol server, from .venv-kserve: scripts/setup_kserve.sh) serving the model
    folder ``model_dir`` (tests/kserve_model) on free loopback ports; ``address`` is its gRPC endpoint."""

    def __init__(self, model_dir=KSERVE_MODEL, timeout=120):
        import shutil

        executable = os.path.join(KSERVE_VENV, "bin", "mlserver")
        if not os.path.exists(executable):
            raise RuntimeError(f"{executable} is missing: run bash scripts/setup_kserve.sh")
        self.folder = tempfile.mkdtemp(prefix="mlserver-")
        shutil.copytree(model_dir, self.folder, dirs_exist_ok=True)
        self.port = free_port()
        settings = {"http_port": free_port(), "grpc_port": self.port, "metrics_port": free_port(),
                    "parallel_workers": 0, "host": "127.0.0.1"}
        import json

        with open(os.path.join(self.folder, "settings.json"), "w") as f:
            json.dump(settings, f)
        self.log = tempfile.NamedTemporaryFile(prefix="mlserver-", suffix=".log", delete=False)
        self.process = subprocess.Popen([executable, "start", self.folder], cwd=self.folder, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with open(self.log.name) as f:
                    raise RuntimeError(f"mlserver exited: {f.read()[-2000:]}")
            with open(self.log.name) as f:
                if "gRPC server running" in f.read():
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("mlserver did not start")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
