"""Foreign TensorFlow models (audit_engine.backends.foreign): one served by TF Serving (or audit-serve), reached
through its own signature over gRPC, or a SavedModel loaded in this process (the ``[model]`` extra)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from audit_engine.backends.base import ModelStatus, encode_texts, signature_infos
from audit_engine.backends.foreign import ForeignModel, ForeignOptions, discover, tensor_specs
from audit_engine.backends.tf_serving import GrpcBackend
from saliency_core import contract
from saliency_core.errors import InputError

DEFAULT_SIGNATURE = "serving_default"


def is_ours(signature_names: Sequence[str]) -> bool:
    """A model this project exported answers the metadata signature (contract.METADATA_SIGNATURE)."""
    return contract.METADATA_SIGNATURE in signature_names


def _signature(defs: dict, name: str):
    if name not in defs:
        raise InputError(
            f"the model has no signature {name!r}; it has {sorted(n for n in defs if not n.startswith('_'))}"
        )
    return defs[name]


def served_foreign_model(
    grpc: GrpcBackend, signature_defs: dict, signature: str | None, options: ForeignOptions
) -> ForeignModel:
    """A foreign model behind TF Serving's gRPC API (``signature_defs``: its GetModelMetadata, already read): its
    signature ``signature`` (default serving_default)."""
    name = signature or DEFAULT_SIGNATURE
    definition = _signature(signature_defs, name)
    spec = discover(tensor_specs(definition.inputs), tensor_specs(definition.outputs), options)
    rank = 2 if spec.input.rank == 2 else 1

    def call(texts: Sequence[str]) -> np.ndarray:
        outputs = grpc.predict(name, texts, True, spec.input.name, [spec.output.name], rank)
        return outputs[spec.output.name]

    return ForeignModel(
        call,
        spec,
        options,
        grpc.model_name,
        grpc.description,
        lambda: grpc.loaded_version,
        grpc.model_status,
        grpc.close,
    )


def embedded_foreign_model(model_path: str, signature: str | None, options: ForeignOptions) -> ForeignModel:
    """A foreign SavedModel loaded in this process through the session path TF Serving uses."""
    from audit_engine.backends.embedded import LOADED_MODELS, folder_version
    from serving.model_store import resolve_version_dir

    export_dir = resolve_version_dir(model_path)
    model = LOADED_MODELS.acquire(export_dir, set())
    try:
        name = signature or DEFAULT_SIGNATURE
        definition = _signature(model.signature_defs, name)
        spec = discover(tensor_specs(definition.inputs), tensor_specs(definition.outputs), options)
    except BaseException:
        LOADED_MODELS.release(model)
        raise
    version = folder_version(export_dir)
    base = os.path.dirname(export_dir.rstrip("/")) if version else export_dir
    shape = (-1, 1) if spec.input.rank == 2 else (-1,)

    def call(texts: Sequence[str]) -> np.ndarray:
        inputs = {spec.input.name: encode_texts(texts).reshape(shape)}
        return model.run(name, inputs, [spec.output.name])[spec.output.name]

    def status() -> ModelStatus:
        return ModelStatus(((version, "AVAILABLE"),), signature_infos(model.signature_defs), location=export_dir)

    return ForeignModel(
        call,
        spec,
        options,
        os.path.basename(base.rstrip("/")),
        "embedded:" + export_dir,
        lambda: version,
        status,
        lambda: LOADED_MODELS.release(model),
    )
