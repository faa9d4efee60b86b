"""The embedded backend: a SavedModel loaded in this process through the same session path as TF Serving.

It imports TensorFlow (the ``[model]`` extra); nothing else in the engine does.
"""

from __future__ import annotations

import collections
import os
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from audit_engine.backends.base import Explained, ModelStatus, encode_texts, signature_infos
from saliency_core import contract
from saliency_core.errors import InputError

if TYPE_CHECKING:
    from serving.session_model import SessionModel


# One thread per op: an op of these models is small (an LSTM step over a batch), and spread over intra-op threads it
# costs more in hand-offs than it gains, while the audit already keeps several model calls running at once (TF's
# inter-op threads, one per core, run them side by side). Measured on 2 cores, `audit-cli score` docs/s with
# reliance, three alternating runs: 60-token texts 1,491-1,565 vs 1,223-1,359 with TF's default; 20,000 SST-2
# sentences 5,667-6,170 vs 5,111-5,875; integrated gradients unchanged.
INTRA_OP_THREADS = 1


class _LoadedModels:
    """SessionModels loaded in this process, shared by the embedded backends of one version folder: a process that
    audits a model several times (the demo, benchmarks, a notebook, the tests) loads and warms it once. A loaded
    model is keyed by its folder and its saved_model.pb's size and time, so a model exported again into the same
    folder loads anew. At most ``idle_kept`` models that no backend uses stay loaded (least recently used first
    out)."""

    def __init__(self, idle_kept: int = 4):
        self.idle_kept = idle_kept
        self.lock = threading.Lock()
        self.entries: collections.OrderedDict = collections.OrderedDict()  # key -> [model, users, warmed names]

    @staticmethod
    def _key(export_dir: str) -> tuple:
        pb = os.stat(os.path.join(export_dir, "saved_model.pb"))
        return os.path.realpath(export_dir), pb.st_size, pb.st_mtime_ns

    def acquire(self, export_dir: str, warm: set[str]) -> SessionModel:
        from serving.session_model import SessionModel

        with self.lock:
            key = self._key(export_dir)
            entry = self.entries.get(key)
            if entry is None:
                entry = self.entries[key] = [SessionModel(export_dir, intra_op_threads=INTRA_OP_THREADS), 0, set()]
            self.entries.move_to_end(key)
            model, _, warmed = entry
            if warm - warmed:
                model.warm_up(warm - warmed)
                warmed |= warm
            entry[1] += 1
            return model

    def release(self, model: SessionModel) -> None:
        with self.lock:
            for entry in self.entries.values():
                if entry[0] is model:
                    entry[1] -= 1
            idle = [key for key, entry in self.entries.items() if entry[1] == 0]
            for key in idle[: max(0, len(idle) - self.idle_kept)]:
                self.entries.pop(key)[0].close()


LOADED_MODELS = _LoadedModels()


def folder_version(export_dir: str) -> int:
    """The version a SavedModel's folder name says (models/name/3 -> 3), 0 for any other name."""
    folder = os.path.basename(export_dir.rstrip("/"))
    return int(folder) if re.fullmatch(contract.VERSION_FOLDER, folder) else 0


def exported_here(model_path: str) -> bool:
    """Whether the SavedModel under ``model_path`` was exported by this project (it has the metadata signature),
    read from saved_model.pb without loading the model."""
    from tensorflow.core.protobuf import saved_model_pb2

    from serving.model_store import resolve_version_dir

    export_dir = resolve_version_dir(model_path)
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
        try:
            saved.ParseFromString(f.read())
        except Exception:  # a corrupt file: the loader says what is wrong
            return True
    return any(contract.METADATA_SIGNATURE in graph.signature_def for graph in saved.meta_graphs)


class EmbeddedBackend:
    """The SavedModel version under ``model_path`` (a version folder or a base path: its latest version)."""

    def __init__(self, model_path: str, signature: str = contract.SALIENCY_SIGNATURE, warm_up: bool = True):
        from serving.model_store import resolve_version_dir
        from serving.session_model import SignatureNotFound

        self.export_dir = resolve_version_dir(model_path)
        self.signature = signature
        # The signatures this audit calls run once now, as a server's warmup would, not on the first batch.
        warm = {signature, contract.PROBABILITIES_SIGNATURE} if warm_up else set()
        try:
            self.model = LOADED_MODELS.acquire(self.export_dir, warm)
        except InputError:
            raise
        except Exception as error:  # a corrupt or foreign saved_model.pb: TF raises many kinds
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError(f"cannot load the SavedModel: {message[:300]}", self.export_dir) from None
        try:
            self.model.signature(signature)
        except SignatureNotFound as error:
            LOADED_MODELS.release(self.model)
            raise InputError(f"{self.export_dir}: {error.args[0]}") from None
        self.loaded_version = folder_version(self.export_dir)
        self.model_name = self.metadata().get("model_name", "")

    @property
    def description(self) -> str:
        return "embedded:" + self.export_dir

    def explain(self, texts: Sequence[str]) -> Explained:
        outputs = self.model.run(self.signature, {contract.TEXT_INPUT: encode_texts(texts)})
        return Explained.of_outputs(outputs, self.signature, self.model_name)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.run(contract.PROBABILITIES_SIGNATURE, {contract.TEXT_INPUT: encode_texts(texts)})[
            contract.PROBABILITIES
        ]

    def metadata(self) -> dict[str, Any]:
        return self.model.metadata()

    def model_status(self) -> ModelStatus:
        return ModelStatus(
            ((self.loaded_version, "AVAILABLE"),), signature_infos(self.model.signature_defs), location=self.export_dir
        )

    def close(self) -> None:
        LOADED_MODELS.release(self.model)
