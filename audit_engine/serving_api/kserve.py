"""The Open Inference Protocol's gRPC API (KServe v2; Triton, KServe and MLServer serve it) without its server
packages: message classes and a client stub built at import from the descriptor in ``kserve_descriptors.py``
(scripts/generate_kserve_api.py), in a private descriptor pool like the TF Serving API beside it."""

import functools
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool

from audit_engine.serving_api import _Stub, message_class
from audit_engine.serving_api.kserve_descriptors import FILE

POOL = descriptor_pool.DescriptorPool()
POOL.Add(descriptor_pb2.FileDescriptorProto.FromString(FILE))
SERVICE = "inference.GRPCInferenceService"
# The unary calls an audit makes (the service also has a stream and repository extensions, which it does not use).
METHODS = ("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer")


_message = functools.partial(message_class, pool=POOL)


ServerReadyRequest = _message("inference.ServerReadyRequest")
ModelReadyRequest = _message("inference.ModelReadyRequest")
ModelMetadataRequest = _message("inference.ModelMetadataRequest")
ModelInferRequest = _message("inference.ModelInferRequest")
ModelInferResponse = _message("inference.ModelInferResponse")


def InferenceStub(channel: grpc.Channel) -> Any:  # noqa: N802 (named like grpcio's generated stubs)
    return _Stub(channel, SERVICE, POOL, METHODS)
