"""A model behind the Open Inference Protocol (KServe v2) over gRPC: Triton, KServe, MLServer. The audit waits for
the server and the model to be ready, reads the model's metadata (its inputs and outputs, which
backends.foreign turns into the input and output to audit through), and sends texts as a BYTES input.

No server package is needed: the messages come from ``audit_engine.serving_api.kserve``. An output arrives either
in its typed contents or, as Triton sends it, in ``raw_output_contents`` (little-endian bytes); both are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc
import numpy as np

from audit_engine.backends.base import BackendConfig, ModelStatus, ServerError, SignatureInfo, encode_texts
from audit_engine.backends.foreign import FLOAT, OTHER, STRING, ForeignModel, TensorSpec, discover
from audit_engine.backends.tf_serving import make_channel
from audit_engine.serving_api import kserve
from saliency_core.errors import InputError

# A float output's datatype -> numpy dtype (raw contents) and its typed contents field.
FLOATS = {"FP32": (np.float32, "fp32_contents"), "FP64": (np.float64, "fp64_contents"), "FP16": (np.float16, None)}


def _describe(error: grpc.RpcError) -> str:
    return f"{error.code().name}: {error.details()}"


def _spec(tensor: Any) -> TensorSpec:
    kind = STRING if tensor.datatype == "BYTES" else FLOAT if tensor.datatype in FLOATS else OTHER
    shape = list(tensor.shape)
    return TensorSpec(tensor.name, kind, len(shape), int(shape[-1]) if shape else -1)


def output_array(response: Any, name: str) -> np.ndarray:
    """The output ``name`` of a ModelInferResponse as a numpy array of its shape."""
    for index, output in enumerate(response.outputs):
        if output.name != name:
            continue
        shape = [int(d) for d in output.shape]
        dtype, field = FLOATS.get(output.datatype, (None, None))
        if dtype is None:
            raise InputError(f"output {name!r} is {output.datatype}, not a float tensor")
        if index < len(response.raw_output_contents):
            values = np.frombuffer(response.raw_output_contents[index], dtype=np.dtype(dtype).newbyteorder("<"))
        elif field is not None:
            values = np.asarray(getattr(output.contents, field), dtype=dtype)
        else:
            raise InputError(f"output {name!r} ({output.datatype}) came without raw contents")
        if values.size != int(np.prod(shape)):
            raise ServerError(f"output {name!r} holds {values.size} values for shape {shape}")
        return values.reshape(shape)
    raise ServerError(f"the response has no output {name!r}")


class KServeClient:
    """One model on an Open Inference Protocol server: readiness, metadata and inference."""

    def __init__(self, config: BackendConfig, on_wait: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.servers = list(config.servers)
        self.model_name = config.model_name
        self.version = "" if config.model_version is None else str(config.model_version)
        self.channel = make_channel(
            self.servers, config.tls_ca, config.tls_cert, config.tls_key, services=(kserve.SERVICE,)
        )
        self.stub = kserve.InferenceStub(self.channel)
        self.loaded_version = int(self.version) if self.version.isdigit() else 0
        try:
            self._wait(on_wait)
        except BaseException:
            self.channel.close()
            raise

    @property
    def description(self) -> str:
        return "kserve-v2:" + ",".join(self.servers)

    def _wait(self, on_wait: Callable[[str], None] | None) -> None:
        """Until the server and the model are ready, up to --wait-for-server seconds."""
        give_up_at = time.monotonic() + self.config.wait_for_server
        said = False
        while True:
            try:
                if self.stub.ServerReady(kserve.ServerReadyRequest(), timeout=5).ready:
                    ready = self.stub.ModelReady(
                        kserve.ModelReadyRequest(name=self.model_name, version=self.version), timeout=5
                    )
                    if ready.ready:
                        return
                    problem = f"model {self.model_name!r} is not ready"
                else:
                    problem = "the server is not ready"
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    raise InputError(
                        f"model {self.model_name!r} is not served at {', '.join(self.servers)} "
                        f"({error.details()}; check --model-name)"
                    ) from None
                problem = _describe(error)
            if time.monotonic() >= give_up_at:
                raise InputError(
                    f"{self.description}: {problem} after {self.config.wait_for_server:g} s (check the address, "
                    "--protocol and --model-name)"
                )
            if on_wait is not None and not said:
                said = True
                on_wait(f"waiting for {self.description} and model {self.model_name!r} ({problem})")
            time.sleep(min(0.5, max(give_up_at - time.monotonic(), 0.0)))

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request, timeout=self.config.deadline)
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise InputError(f"server rejected the request: {_describe(error)}") from None
            raise ServerError(f"{self.description}: {_describe(error)}") from None

    def metadata(self) -> Any:
        return self._call(
            self.stub.ModelMetadata, kserve.ModelMetadataRequest(name=self.model_name, version=self.version)
        )

    def infer(self, texts: Sequence[str], input_name: str, rank: int, output_name: str) -> np.ndarray:
        request = kserve.ModelInferRequest(model_name=self.model_name, model_version=self.version)
        tensor = request.inputs.add(name=input_name, datatype="BYTES", shape=[len(texts)] + [1] * (rank - 1))
        tensor.contents.bytes_contents.extend(encode_texts(texts))
        request.outputs.add(name=output_name)
        try:
            response = self.stub.ModelInfer(request, timeout=self.config.deadline)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and len(texts) > 1:
                half = len(texts) // 2
                first = self.infer(texts[:half], input_name, rank, output_name)
                return np.concatenate([first, self.infer(texts[half:], input_name, rank, output_name)])
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise InputError(f"server rejected the request: {_describe(error)}") from None
            raise ServerError(f"{self.description}: {_describe(error)}") from None
        if response.model_version.isdigit():
            self.loaded_version = int(response.model_version)
        return output_array(response, output_name)

    def close(self) -> None:
        self.channel.close()


def open_kserve_model(config: BackendConfig, on_wait: Callable[[str], None] | None = None) -> ForeignModel:
    """The model ``config.model_name`` on an Open Inference Protocol server, read through its metadata."""
    client = KServeClient(config, on_wait)
    try:
        metadata = client.metadata()
        inputs, outputs = [_spec(t) for t in metadata.inputs], [_spec(t) for t in metadata.outputs]
        spec = discover(inputs, outputs, config.foreign)
        versions = [int(v) for v in metadata.versions if v.isdigit()]
        if not client.loaded_version and versions:
            client.loaded_version = max(versions)
    except BaseException:
        client.close()
        raise
    rank = 2 if spec.input.rank == 2 else 1

    def status() -> ModelStatus:
        info = SignatureInfo("infer", tuple(t.name for t in inputs), tuple(t.name for t in outputs))
        return ModelStatus(((client.loaded_version, "AVAILABLE"),), (info,))

    return ForeignModel(
        lambda texts: client.infer(texts, spec.input.name, rank, spec.output.name),
        spec,
        config.foreign,
        metadata.name or config.model_name,
        client.description,
        lambda: client.loaded_version,
        status,
        client.close,
    )
