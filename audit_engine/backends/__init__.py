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
    """A TF Serving gRPC backend for ``config.servers`` (waiting up to ``config.wait_for_server`` for the server and
    its model, calling ``on_wait(message)`` once when it has to wait), else the embedded ``config.model_path``."""
    if config.servers:
        from audit_engine.backends.tf_serving import GrpcBackend

        return GrpcBackend(
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
    if config.model_path is None:
        raise InputError("give a server or a model path")
    from audit_engine.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(config.model_path, config.signature, config.warm_up)
