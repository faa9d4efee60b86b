"""The embedded backend: a SavedModel loaded in this process through the same session path as TF Serving.

It imports TensorFlow (the ``[model]`` extra); nothing else in the engine does.
"""

from __future__ import annotations

import os

from audit_engine.backends.base import Explained, ModelStatus, SignatureInfo, encode_texts
from saliency_core import contract
from saliency_core.errors import InputError


class EmbeddedBackend:
    """The SavedModel version under ``model_path`` (a version folder or a base path: its latest version)."""

    def __init__(self, model_path: str, signature: str = contract.SALIENCY_SIGNATURE, warm_up: bool = True):
        from serving.model_store import resolve_version_dir
        from serving.session_model import SessionModel, SignatureNotFound

        self.export_dir = resolve_version_dir(model_path)
        try:
            self.model = SessionModel(self.export_dir)
        except Exception as error:  # a corrupt or foreign saved_model.pb: TF raises many kinds
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError(f"cannot load the SavedModel: {message[:300]}", self.export_dir) from None
        self.signature = signature
        try:
            self.model.signature(signature)
        except SignatureNotFound as error:
            raise InputError(f"{self.export_dir}: {error.args[0]}") from None
        # The signatures this audit calls run once now, as a server's warmup would, not on the first batch.
        if warm_up:
            self.model.warm_up({signature, contract.PROBABILITIES_SIGNATURE})
        folder = os.path.basename(self.export_dir.rstrip("/"))
        self.loaded_version = int(folder) if folder.isdigit() else 0
        self.model_name = self.metadata().get("model_name", "")

    @property
    def description(self) -> str:
        return "embedded:" + self.export_dir

    def explain(self, texts):
        outputs = self.model.run(self.signature, {contract.TEXT_INPUT: encode_texts(texts)})
        return Explained.of_outputs(outputs, self.signature, self.model_name)

    def probabilities(self, texts):
        return self.model.run(contract.PROBABILITIES_SIGNATURE, {contract.TEXT_INPUT: encode_texts(texts)})[
            contract.PROBABILITIES
        ]

    def metadata(self):
        return self.model.metadata()

    def model_status(self) -> ModelStatus:
        return ModelStatus(
            ((self.loaded_version, "AVAILABLE"),),
            tuple(
                SignatureInfo(name, tuple(sorted(d.inputs)), tuple(sorted(d.outputs)))
                for name, d in sorted(self.model.signature_defs.items())
                if not name.startswith("__")
            ),
            location=self.export_dir,
        )

    def close(self) -> None:
        self.model.close()
