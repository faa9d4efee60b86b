"""audit-serve's server: TF Serving's gRPC Predict / GetModelMetadata / GetModelStatus over the same SavedModels.

A stand-in for ``tensorflow_model_server`` where Docker is missing (and for tests): signatures run
through the session-based loader exactly as TF Serving runs them. Flag names follow
tensorflow_model_server's. It deliberately has no features TF Serving lacks.
"""

import dataclasses
import os
from concurrent import futures

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import wrappers_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from saliency_core import contract
from saliency_core.errors import InputError
from serving import model_store
from serving.model_store import ModelStore
from serving.session_model import InvalidInput, SessionModel, SignatureNotFound


@dataclasses.dataclass(frozen=True)
class RequestLimits:
    """What one request may cost. A request over ``max_request_bytes`` is refused by gRPC (RESOURCE_EXHAUSTED)
    before it is read; over ``max_batch_texts`` rows, RESOURCE_EXHAUSTED before any tensor is expanded; the rows of
    an accepted request run through the model ``chunk_texts`` at a time, so memory stays bounded and returns."""
    max_batch_texts: int = 4096
    max_request_bytes: int = 64 * 1024 * 1024
    chunk_texts: int = 256


def check_tensor(alias, proto, limits):
    """(status code, reason) when an input tensor must be refused before it is expanded, else None."""
    dims = [d.size for d in proto.tensor_shape.dim]
    if any(d < 0 for d in dims):
        return grpc.StatusCode.INVALID_ARGUMENT, f"input {alias!r}: negative dimension in shape {dims}"
    count = 1
    for d in dims:
        count *= d
    if dims and dims[0] > limits.max_batch_texts:
        return (grpc.StatusCode.RESOURCE_EXHAUSTED, f"input {alias!r} holds {dims[0]} rows; this server takes at "
                f"most {limits.max_batch_texts} per request (--max_batch_texts): split the batch")
    held = len(proto.string_val) if proto.dtype == types_pb2.DT_STRING else None
    if held is not None and held != count:
        # TensorFlow would repeat one value to fill the shape: a few bytes could then cost a full batch.
        return (grpc.StatusCode.INVALID_ARGUMENT, f"input {alias!r} declares shape {dims} ({count} values) but "
                f"holds {held}; send every value")
    return None


class _Servicer(prediction_service_pb2_grpc.PredictionServiceServicer,
                model_service_pb2_grpc.ModelServiceServicer):

    def __init__(self, stores, limits=RequestLimits()):
        self.stores = stores  # model name -> ModelStore
        self.limits = limits

    def _store(self, name, what, context):
        if name not in self.stores:
            # TF Serving's wording, then the models this server has: a client can tell a wrong --model-name from a
            # model still loading, and say which names exist.
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"{what}; {contract.SERVED_MODELS} {', '.join(repr(n) for n in sorted(self.stores))}")
        return self.stores[name]

    def _resolve(self, model_spec, context):
        store = self._store(model_spec.name, f"Servable not found for request: Latest({model_spec.name})", context)
        version = model_spec.version.value if model_spec.HasField("version") else None
        if model_spec.version_label:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "version labels are not configured")
        found = store.get(version)
        if found is None:
            what = f"Specific({model_spec.name}, {version})" if version is not None else f"Latest({model_spec.name})"
            context.abort(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: {what}")
        return found

    def Predict(self, request, context):
        version, model = self._resolve(request.model_spec, context)
        signature_name = request.model_spec.signature_name or contract.SALIENCY_SIGNATURE
        try:
            model.signature(signature_name)
        except SignatureNotFound:
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"Serving signature name: \"{signature_name}\" not found in signature def")
        for alias, proto in request.inputs.items():
            refused = check_tensor(alias, proto, self.limits)
            if refused is not None:
                context.abort(*refused)
        try:
            inputs = {alias: tf.make_ndarray(proto) for alias, proto in request.inputs.items()}
        except Exception as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"cannot decode input tensor: {error}")
        try:
            outputs = run_in_chunks(model, signature_name, inputs, list(request.output_filter),
                                    self.limits.chunk_texts)
        except InvalidInput as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        response = predict_pb2.PredictResponse(model_spec=model_pb2.ModelSpec(
            name=request.model_spec.name, signature_name=signature_name,
            version=wrappers_pb2.Int64Value(value=version)))
        for alias, value in outputs.items():
            response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
        return response

    def GetModelMetadata(self, request, context):
        version, model = self._resolve(request.model_spec, context)
        if list(request.metadata_field) != ["signature_def"]:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          "Metadata field(s) must be exactly [\"signature_def\"]")
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for name, signature_def in model.signature_defs.items():
            signature_map.signature_def[name].CopyFrom(signature_def)
        response = get_model_metadata_pb2.GetModelMetadataResponse(model_spec=model_pb2.ModelSpec(
            name=request.model_spec.name, version=wrappers_pb2.Int64Value(value=version)))
        response.metadata["signature_def"].Pack(signature_map)
        return response

    def GetModelStatus(self, request, context):
        store = self._store(request.model_spec.name,
                            f"Could not find any versions of model {request.model_spec.name}", context)
        loaded = store.loaded_versions()
        if request.model_spec.HasField("version"):
            wanted = request.model_spec.version.value
            if wanted not in loaded:
                context.abort(grpc.StatusCode.NOT_FOUND,
                              f"Could not find version {wanted} of model {request.model_spec.name}")
            loaded = [wanted]
        response = get_model_status_pb2.GetModelStatusResponse()
        for version in loaded:
            status = response.model_version_status.add(
                version=version, state=get_model_status_pb2.ModelVersionStatus.AVAILABLE)
            status.status.error_code = 0
        return response


def run_in_chunks(model, signature_name, inputs, output_filter, chunk):
    """``model.run`` over at most ``chunk`` rows at a time (inputs of one row count, the batch axis first), outputs
    concatenated along it: an accepted large request never holds the activations of all its rows at once."""
    rows = {len(value) for value in inputs.values() if getattr(value, "ndim", 0) > 0}
    if len(rows) != 1 or next(iter(rows)) <= chunk:
        return model.run(signature_name, inputs, output_filter)
    total = next(iter(rows))
    parts = [model.run(signature_name, {alias: value[start:start + chunk] for alias, value in inputs.items()},
                       output_filter) for start in range(0, total, chunk)]
    return {alias: np.concatenate([part[alias] for part in parts]) for alias in parts[0]}


@dataclasses.dataclass(frozen=True)
class ServedModel:
    """One model of the server: its name, base path and version policy (ModelServerConfig's config entry)."""
    name: str
    base_path: str
    policy: object = None  # serving.model_store.latest(1) when None


def read_model_config(path):
    """TF Serving's --model_config_file (a ModelServerConfig text proto) -> [ServedModel]. Relative base paths are
    relative to the file's folder; an unsupported field is an input error naming it."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = model_server_config_pb2.ModelServerConfig()
    try:
        with open(path, encoding="utf-8") as f:
            text_format.Parse(f.read(), config)
    except text_format.ParseError as error:
        raise InputError(f"not a ModelServerConfig: {error}", path) from None
    if not config.HasField("model_config_list") or not config.model_config_list.config:
        raise InputError("no model_config_list with a config entry", path)
    served = []
    for entry in config.model_config_list.config:
        if entry.model_platform not in ("", "tensorflow"):
            raise InputError(f"model {entry.name!r}: model_platform {entry.model_platform!r} is not served here "
                             "(only tensorflow)", path)
        kind = entry.model_version_policy.WhichOneof("policy_choice")
        if kind == "specific":
            policy = model_store.specific(list(entry.model_version_policy.specific.versions))
        elif kind == "all":
            policy = model_store.all_versions
        else:
            policy = model_store.latest(max(1, entry.model_version_policy.latest.num_versions or 1))
        base = entry.base_path if os.path.isabs(entry.base_path) else os.path.join(os.path.dirname(path),
                                                                                 entry.base_path)
        served.append(ServedModel(entry.name, base, policy))
    names = [model.name for model in served]
    if len(set(names)) != len(names) or not all(names):
        raise InputError("every model needs a name of its own", path)
    return served


def build_server(models, port, host="127.0.0.1", max_workers=8, poll_seconds=1.0, tls_cert=None, tls_key=None,
                 tls_client_ca=None, intra_op_threads=0, limits=RequestLimits()):
    """Start a gRPC server for ``models`` ([ServedModel]). Returns (grpc.Server, bound port, {name: ModelStore})."""
    def load(path):  # a version is served only once its warmup requests ran, as tensorflow_model_server does
        model = SessionModel(path, intra_op_threads=intra_op_threads)
        model.warm_up()
        return model

    stores = {}
    for served in models:
        store = ModelStore(served.name, served.base_path, load, poll_seconds, served.policy)
        if not store.loaded_versions():
            raise InputError(f"no servable version under the model base path of {served.name!r}", served.base_path)
        stores[served.name] = store
    for store in stores.values():
        store.start_polling()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=[
        ("grpc.max_receive_message_length", limits.max_request_bytes),
        ("grpc.max_send_message_length", 512 * 1024 * 1024)])
    servicer = _Servicer(stores, limits)
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(servicer, server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(servicer, server)
    address = f"{host}:{port}"
    if tls_cert:
        read = lambda path: open(path, "rb").read()
        credentials = grpc.ssl_server_credentials(
            [(read(tls_key), read(tls_cert))],
            root_certificates=read(tls_client_ca) if tls_client_ca else None,
            require_client_auth=bool(tls_client_ca))
        bound = server.add_secure_port(address, credentials)
    else:
        bound = server.add_insecure_port(address)
    server.start()
    return server, bound, stores
