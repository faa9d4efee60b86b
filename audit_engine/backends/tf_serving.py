"""The backend for TF Serving's gRPC API (tensorflow_model_server or audit-serve): Predict, GetModelStatus and
GetModelMetadata, with retries, round-robin over several servers, TLS, and a wait for a server still loading.

It needs no TensorFlow: the messages come from ``audit_engine.serving_api``.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any

import grpc
import numpy as np

from audit_engine import serving_api
from audit_engine.backends.base import Explained, ModelStatus, ServerError, encode_texts, signature_infos
from audit_engine.serving_api.tensors import string_tensor, to_ndarray
from saliency_core import contract
from saliency_core.errors import InputError

MESSAGE_LIMIT_BYTES = 512 * 1024 * 1024
TF_SERVING_SERVICES = ("tensorflow.serving.PredictionService", "tensorflow.serving.ModelService")


def retry_service_config(services: Sequence[str]) -> dict[str, Any]:
    """Round-robin over the servers, and retries of UNAVAILABLE calls to ``services`` with backoff."""
    return {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [{"service": service} for service in services],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.2s",
                    "maxBackoff": "5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
    }


GRPC_URI_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:")


def host_and_port(server: str) -> tuple[str, int] | None:
    """'HOST:PORT' -> (host, port); None for a gRPC URI target (dns:///..., unix:...). ValueError otherwise."""
    if "://" in server or server.startswith(GRPC_URI_SCHEMES):
        return None
    host, _, port = server.rpartition(":")
    if not host or any(c.isspace() for c in server) or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT with a port in 1-65535, or a gRPC target such as dns:///host:port")
    return host, int(port)


def channel_target(servers: Iterable[str]) -> str:
    """--server values -> one gRPC target. Several servers share one channel with round-robin."""
    servers = list(servers)
    if len(servers) == 1:
        return servers[0]
    addresses = []
    for server in servers:
        try:
            parsed = host_and_port(server)
        except ValueError as error:
            raise InputError(f"--server {server!r}: {error}") from None
        if parsed is None:
            raise InputError(f"--server {server!r}: a URI target cannot be combined with other --server values")
        host, port = parsed
        try:
            infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise InputError(f"--server {server!r}: cannot resolve host: {error.strerror}") from None
        address = str(infos[0][4][0])
        addresses.append(f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
    return "ipv4:" + ",".join(addresses) if all("[" not in a for a in addresses) else "ipv6:" + ",".join(addresses)


def make_channel(
    servers: Iterable[str],
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    message_limit: int = MESSAGE_LIMIT_BYTES,
    services: Sequence[str] = TF_SERVING_SERVICES,
) -> grpc.Channel:
    """A channel to ``servers`` (round-robin), with TLS when a CA or a client certificate is given, retrying
    UNAVAILABLE calls to ``services``."""
    options = [
        ("grpc.max_receive_message_length", message_limit),
        ("grpc.max_send_message_length", message_limit),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", json.dumps(retry_service_config(services))),
    ]
    target = channel_target(servers)
    if tls_ca or tls_cert:
        read = lambda path: open(path, "rb").read() if path else None
        credentials = grpc.ssl_channel_credentials(read(tls_ca), read(tls_key), read(tls_cert))
        return grpc.secure_channel(target, credentials, options=options)
    return grpc.insecure_channel(target, options=options)


def _describe(error):
    return f"{error.code().name}: {error.details()}"


class GrpcBackend:
    """Calls PredictionService.Predict on TF Serving or audit-serve."""

    def __init__(
        self,
        servers,
        model_name,
        signature=contract.SALIENCY_SIGNATURE,
        version=None,
        deadline=30.0,
        connect_timeout=10.0,
        tls_ca=None,
        tls_cert=None,
        tls_key=None,
        message_limit=MESSAGE_LIMIT_BYTES,
        on_wait=None,
    ):
        self.servers = list(servers)
        self.model_name = model_name
        self.signature = signature
        self.version = version
        self.deadline = deadline
        self.channel = make_channel(self.servers, tls_ca, tls_cert, tls_key, message_limit)
        give_up_at = time.monotonic() + connect_timeout
        said = set()

        def wait_note(key: str, message: str) -> None:
            if on_wait is not None and key not in said:
                said.add(key)
                on_wait(message)

        try:
            grpc.channel_ready_future(self.channel).result(timeout=min(1.0, connect_timeout))
        except grpc.FutureTimeoutError:
            wait_note("server", f"waiting for the server at {', '.join(self.servers)} (up to {connect_timeout:g} s)")
            try:
                grpc.channel_ready_future(self.channel).result(timeout=max(give_up_at - time.monotonic(), 0.0))
            except grpc.FutureTimeoutError:
                self.channel.close()
                tls = "TLS handshake or " if (tls_ca or tls_cert) else ""
                raise InputError(
                    f"server unreachable: {', '.join(self.servers)} (no {tls}connection within "
                    f"{connect_timeout:g} s; check the address, and --tls-ca/--tls-cert/--tls-key if the "
                    "server uses TLS)"
                ) from None
        self.prediction = serving_api.PredictionServiceStub(self.channel)
        self.models = serving_api.ModelServiceStub(self.channel)
        self._metadata = None
        self.loaded_version = 0
        self._wait_for_model(give_up_at, wait_note)

    def _wait_for_model(self, give_up_at, wait_note):
        """A server started together with the client (docker compose) may still be loading the model."""
        started = time.monotonic()
        while True:
            try:
                status = self.models.GetModelStatus(
                    serving_api.GetModelStatusRequest(model_spec=self._model_spec("")),
                    timeout=max(min(self.deadline, give_up_at - time.monotonic()), 0.1),
                )
                if any(v.state == serving_api.ModelVersionStatus.AVAILABLE for v in status.model_version_status):
                    return
                problem = "no version AVAILABLE yet"
            except grpc.RpcError as error:
                if error.code() not in (
                    grpc.StatusCode.NOT_FOUND,
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                ):
                    return  # a server without the model service: Predict will say what is wrong
                served = (error.details() or "").partition(contract.SERVED_MODELS)[2].strip()
                if error.code() == grpc.StatusCode.NOT_FOUND and served:  # a wrong name, not a model still loading
                    self.channel.close()
                    raise InputError(
                        f"model {self.model_name!r} is not served at {', '.join(self.servers)}; the server has "
                        f"{served} (check --model-name)"
                    ) from None
                problem = _describe(error)
            if time.monotonic() >= give_up_at:
                self.channel.close()
                raise InputError(
                    f"model {self.model_name!r} is not available on {', '.join(self.servers)}: {problem} (TF Serving "
                    "does not list its models: check --model-name against its --model_name or model config)"
                )
            if time.monotonic() - started >= 1.0:  # a typo in --model-name stays a one-line error with short waits
                wait_note("model", f"the server is up; waiting for model {self.model_name!r} to load")
            time.sleep(min(0.5, max(give_up_at - time.monotonic(), 0.0)))

    @property
    def description(self) -> str:
        return "grpc:" + ",".join(self.servers)

    def _model_spec(self, signature):
        spec = serving_api.ModelSpec(name=self.model_name, signature_name=signature)
        if self.version is not None:
            spec.version.value = int(self.version)
        return spec

    def predict(
        self,
        signature: str,
        texts: Sequence[str],
        wait_for_ready: bool = True,
        input_name: str = contract.TEXT_INPUT,
        output_filter: Sequence[str] = (),
        input_rank: int = 1,
    ) -> dict[str, np.ndarray]:
        """The signature's outputs {alias: array} for ``texts`` given to its input ``input_name`` ([B], or [B, 1]
        with ``input_rank`` 2)."""
        request = serving_api.PredictRequest(model_spec=self._model_spec(signature), output_filter=list(output_filter))
        request.inputs[input_name].CopyFrom(string_tensor(encode_texts(texts), input_rank))
        try:
            response = self.prediction.Predict(request, timeout=self.deadline, wait_for_ready=wait_for_ready)
        except grpc.RpcError as error:
            code = error.code()
            if code in (
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.FAILED_PRECONDITION,
            ):
                raise InputError(f"server rejected the request: {_describe(error)}") from None
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED and len(texts) > 1:
                # The response would exceed a message limit: split the batch instead of failing.
                half = len(texts) // 2
                first = self.predict(signature, texts[:half], wait_for_ready, input_name, output_filter, input_rank)
                second = self.predict(signature, texts[half:], wait_for_ready, input_name, output_filter, input_rank)
                return {k: np.concatenate([first[k], second[k]]) for k in first}
            raise ServerError(f"{self.description}: {_describe(error)}") from None
        self.loaded_version = response.model_spec.version.value
        return {alias: to_ndarray(proto) for alias, proto in response.outputs.items()}

    def explain(self, texts: Sequence[str]) -> Explained:
        return Explained.of_outputs(self.predict(self.signature, texts), self.signature, self.model_name)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict(contract.PROBABILITIES_SIGNATURE, texts)[contract.PROBABILITIES]

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            out = self.predict(contract.METADATA_SIGNATURE, [""], wait_for_ready=False)
            self._metadata = json.loads(out[contract.METADATA_JSON][0].decode("utf-8"))
        return self._metadata

    def _call(self, method, request):
        try:
            return method(request, timeout=self.deadline)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise InputError(f"server: {_describe(error)}") from None
            raise ServerError(f"{self.description}: {_describe(error)}") from None

    def signature_defs(self) -> dict[str, Any]:
        """{signature name: SignatureDef} as GetModelMetadata reports them."""
        response = self._call(
            self.prediction.GetModelMetadata,
            serving_api.GetModelMetadataRequest(model_spec=self._model_spec(""), metadata_field=["signature_def"]),
        )
        signature_map = serving_api.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        return dict(signature_map.signature_def)

    def model_status(self) -> ModelStatus:
        status = self._call(
            self.models.GetModelStatus, serving_api.GetModelStatusRequest(model_spec=self._model_spec(""))
        )
        return ModelStatus(
            tuple((v.version, v.State.Name(v.state)) for v in status.model_version_status),
            signature_infos(self.signature_defs()),
        )

    def close(self) -> None:
        self.channel.close()
