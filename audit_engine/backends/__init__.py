"""Backends: where the audit gets explanations. One module each behind the ``Backend`` protocol (base.py):
``tf_serving`` (gRPC, no TensorFlow), ``embedded`` (a SavedModel in process), ``windowed`` (wraps either for
texts of any length) and ``fake`` (numpy only, for tests)."""

from __future__ import annotations

from collections.abc import Callable

from audit_engine.backends.base import (
    Backend,
    BackendConfig,
    Explained,
    ModelStatus,
    ServerError,
    SignatureInfo,
    encode_texts,
)
from audit_engine.options import KSERVE_V2, PREDICT_ONLY_ATTRIBUTIONS
from saliency_core.errors import InputError

__all__ = [
    "Backend",
    "BackendConfig",
    "Explained",
    "ModelStatus",
    "ServerError",
    "SignatureInfo",
    "encode_texts",
    "open_backend",
]


def open_backend(config: BackendConfig, on_wait: Callable[[str], None] | None = None) -> Backend:
    """The backend ``config`` names: a KServe v2 server, a TF Serving gRPC server (waiting up to
    ``config.wait_for_server`` for the server and its model, calling ``on_wait(message)`` once when it has to
    wait), else the embedded ``config.model_path``. A model this project did not export, and any model audited
    with ``attribution`` occlusion or none, is audited through its probabilities (backends.predict_only)."""
    from audit_engine.backends.foreign import ForeignModel

    if config.protocol == KSERVE_V2:
        from audit_engine.backends.kserve_v2 import open_kserve_model

        return _predict_only(open_kserve_model(config, on_wait), config)
    if config.servers:
        from audit_engine.backends.foreign_tf import is_ours, served_foreign_model
        from audit_engine.backends.tf_serving import GrpcBackend

        grpc = GrpcBackend(
            config.servers,
            config.model_name,
            config.signature,
            config.model_version,
            config.deadline,
            connect_timeout=config.wait_for_server,
            tls_ca=config.tls_ca,
            tls_cert=config.tls_cert,
            tls_key=config.tls_key,
            on_wait=on_wait,
        )
        try:
            try:
                signature_defs = grpc.signature_defs()
            except ServerError:  # a server without GetModelMetadata: only a model of ours can be audited there
                signature_defs = None
            ours = signature_defs is None or is_ours(list(signature_defs))
            model: Backend | ForeignModel = grpc
            if signature_defs is not None and not ours:
                model = served_foreign_model(grpc, signature_defs, config.signature, config.foreign)
        except BaseException:
            grpc.close()
            raise
        return grpc if ours and config.attribution not in PREDICT_ONLY_ATTRIBUTIONS else _predict_only(model, config)
    if config.model_path is None:
        raise InputError("give a server or a model path")
    from audit_engine.backends.embedded import EmbeddedBackend, exported_here

    if not exported_here(config.model_path):
        from audit_engine.backends.foreign_tf import embedded_foreign_model

        return _predict_only(embedded_foreign_model(config.model_path, config.signature, config.foreign), config)
    embedded = EmbeddedBackend(config.model_path, config.signature, config.warm_up)
    return _predict_only(embedded, config) if config.attribution in PREDICT_ONLY_ATTRIBUTIONS else embedded


def _predict_only(model, config: BackendConfig) -> Backend:
    """The model audited through its probabilities, attributed by ``config.attribution`` (occlusion when unset)."""
    from audit_engine.backends.predict_only import PredictOnlyBackend
    from audit_engine.options import OCCLUSION

    if config.attribution and config.attribution not in PREDICT_ONLY_ATTRIBUTIONS:
        model.close()
        raise InputError(
            f"--attribution {config.attribution} needs the saliency signatures of a model this project exported; "
            f"model {model.model_name!r} has none: use --attribution occlusion or none"
        )
    return PredictOnlyBackend(model, config.attribution or OCCLUSION, config.occlusion_words)
