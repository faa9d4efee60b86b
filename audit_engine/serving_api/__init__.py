"""The TF Serving gRPC API without TensorFlow: message classes and client stubs for Predict, GetModelMetadata and
GetModelStatus, built at import from descriptors generated out of the pinned tensorflow-serving-api and
tensorflow wheels (``descriptors.py``, ``scripts/generate_serving_api.py``).

The classes live in a private descriptor pool: a full install that also imports ``tensorflow_serving`` registers
the same file names in protobuf's default pool, and two definitions of one name there would conflict. The wire
format is the proto's, so requests built here are what TF Serving (or audit-serve) expects.
"""

from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from audit_engine.serving_api.descriptors import FILES

POOL = descriptor_pool.DescriptorPool()
for _serialized in FILES:
    POOL.Add(descriptor_pb2.FileDescriptorProto.FromString(_serialized))


def message_class(full_name: str, pool: Any = None) -> Any:
    """The message class of ``full_name`` in ``pool`` (this module's, by default)."""
    return message_factory.GetMessageClass((pool or POOL).FindMessageTypeByName(full_name))


_message = message_class


TensorProto = _message("tensorflow.TensorProto")
ModelSpec = _message("tensorflow.serving.ModelSpec")
PredictRequest = _message("tensorflow.serving.PredictRequest")
PredictResponse = _message("tensorflow.serving.PredictResponse")
GetModelMetadataRequest = _message("tensorflow.serving.GetModelMetadataRequest")
GetModelMetadataResponse = _message("tensorflow.serving.GetModelMetadataResponse")
SignatureDefMap = _message("tensorflow.serving.SignatureDefMap")
GetModelStatusRequest = _message("tensorflow.serving.GetModelStatusRequest")
GetModelStatusResponse = _message("tensorflow.serving.GetModelStatusResponse")
ModelVersionStatus = _message("tensorflow.serving.ModelVersionStatus")
DataType = POOL.FindEnumTypeByName("tensorflow.DataType")


class _Stub:
    """A gRPC client stub for one service of the pool: ``stub.Method(request, timeout=...)`` like grpcio's own
    generated stubs (``.future`` and ``with_call`` included, as they are attributes of the multi-callable)."""

    def __init__(self, channel, service_name, pool=None, methods=None):
        service = (pool or POOL).FindServiceByName(service_name)
        for method in service.methods:
            if methods is not None and method.name not in methods:
                continue
            setattr(
                self,
                method.name,
                channel.unary_unary(
                    f"/{service.full_name}/{method.name}",
                    request_serializer=lambda message: message.SerializeToString(),
                    response_deserializer=message_factory.GetMessageClass(method.output_type).FromString,
                    _registered_method=True,
                ),
            )


def PredictionServiceStub(channel: grpc.Channel) -> Any:  # its methods are set from the descriptor  # noqa: N802 (named like grpcio's generated stubs)
    return _Stub(channel, "tensorflow.serving.PredictionService")


def ModelServiceStub(channel: grpc.Channel) -> Any:  # noqa: N802
    return _Stub(channel, "tensorflow.serving.ModelService")
