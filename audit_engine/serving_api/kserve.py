"""The Open Inference Protocol's gRPC API (KServe v2; Triton, KServe and MLServer serve it) without its server
packages: message classes and a client stub built at import from the descriptor in ``kserve_descriptors.py``
(scripts/generate_kserve_api.py), in a private descriptor pool like the TF Serving API beside it."""

from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from audit_engine.serving_api import _Stub
from audit_engine.serving_api.kserve_descriptors import FILE

POOL = descriptor_pool.DescriptorPool()
POOL.Add(descriptor_pb2.FileDescriptorProto.FromString(FILE))
SERVICE = "inference.GRPCInferenceService"
# The unary calls an audit makes (the service also has a stream and repository extensions, which it does not use).
METHODS = ("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer")


def _message(full_name: str) -> Any:
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(full_name))


ServerReadyRequest = _message("inference.ServerReadyRequest")
ModelReadyRequest = _message("inference.ModelReadyRequest")
ModelMetadataRequest = _message("inference.ModelMetadataRequest")
ModelInferRequest = _message("inference.ModelInferRequest")
ModelInferResponse = _message("inference.ModelInferResponse")


def InferenceStub(channel: grpc.Channel) -> Any:  # noqa: N802 (named like grpcio's generated stubs)
    return _Stub(channel, SERVICE, POOL, METHODS)
