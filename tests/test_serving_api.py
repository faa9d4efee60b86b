"""The TensorFlow-free TF Serving API: the generated descriptors are fresh, the messages are wire-compatible
with tensorflow_serving's, and the numpy tensor codec equals tf.make_tensor_proto / tf.make_ndarray."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import ROOT
from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2

from audit_engine import serving_api
from audit_engine.serving_api.tensors import string_tensor, to_ndarray


def test_the_generated_descriptors_are_fresh():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import generate_serving_api
    finally:
        sys.path.pop(0)
    with open(generate_serving_api.OUTPUT, encoding="utf-8") as f:
        assert f.read() == generate_serving_api.generate(), "run scripts/generate_serving_api.py"


def test_a_request_built_here_is_the_request_tensorflow_serving_builds():
    texts = np.asarray(["a text", "ünïcode ﬁne", ""], dtype=object)
    encoded = np.asarray([t.encode("utf-8") for t in texts], dtype=object)
    ours = serving_api.PredictRequest(model_spec=serving_api.ModelSpec(name="m", signature_name="s"))
    ours.model_spec.version.value = 3
    ours.inputs["text"].CopyFrom(string_tensor(encoded))
    theirs = predict_pb2.PredictRequest()
    theirs.model_spec.name, theirs.model_spec.signature_name, theirs.model_spec.version.value = "m", "s", 3
    theirs.inputs["text"].CopyFrom(tf.make_tensor_proto(encoded, dtype=tf.string))
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True)


ARRAYS = [np.arange(12, dtype=np.float32).reshape(3, 4) / 7, np.array([[1e-30, -2.5, np.inf]], dtype=np.float32),
          np.arange(6, dtype=np.float64).reshape(2, 3), np.array([1, -2, 3], dtype=np.int32),
          np.array([[2 ** 40, -1]], dtype=np.int64), np.array([0, 255], dtype=np.uint8),
          np.array([True, False, True]), np.array([0.5, -1.25], dtype=np.float16), np.zeros((0, 4), np.float32),
          np.array([[b"a", b""], [b"\xc3\xa9", b"tok"]], dtype=object)]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_decoding_equals_make_ndarray_from_tensor_content_and_from_typed_fields(array):
    content = tf.make_tensor_proto(array)  # numbers: tensor_content
    typed = tf.make_tensor_proto(array)
    if array.dtype != object and array.size:
        typed.ClearField("tensor_content")  # the same values in the typed field, as some servers send them
        field = {"float32": "float_val", "float64": "double_val", "int32": "int_val", "int64": "int64_val",
                 "uint8": "int_val", "bool": "bool_val", "float16": "half_val"}[array.dtype.name]
        values = array.view(np.uint16).ravel().tolist() if array.dtype == np.float16 else array.ravel().tolist()
        typed.ClearField(field)
        getattr(typed, field).extend(values)
    for proto in (content, typed):
        ours = to_ndarray(serving_api.TensorProto.FromString(proto.SerializeToString()))
        theirs = tf.make_ndarray(proto)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert np.array_equal(ours, theirs)


def test_a_single_typed_value_fills_the_shape_as_tensorflow_does():
    proto = tf.make_tensor_proto(np.zeros((2, 3), np.float32))
    proto.ClearField("tensor_content")
    proto.float_val.append(1.5)
    ours = to_ndarray(serving_api.TensorProto.FromString(proto.SerializeToString()))
    assert np.array_equal(ours, tf.make_ndarray(proto)) and ours.shape == (2, 3)


def test_signature_defs_unpack_from_metadata_any():
    theirs = get_model_metadata_pb2.GetModelMetadataResponse()
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    signature_map.signature_def["serving_default"].method_name = "tensorflow/serving/predict"
    signature_map.signature_def["serving_default"].inputs["text"].dtype = tf.string.as_datatype_enum
    theirs.metadata["signature_def"].Pack(signature_map)
    ours = serving_api.GetModelMetadataResponse.FromString(theirs.SerializeToString())
    unpacked = serving_api.SignatureDefMap()
    assert ours.metadata["signature_def"].Unpack(unpacked)
    assert unpacked.signature_def["serving_default"].inputs["text"].dtype == serving_api.DataType.values_by_name[
        "DT_STRING"].number


def test_the_client_modules_do_not_import_tensorflow():
    code = ("import sys; import audit_cli.main, audit_cli.commands.score, audit_engine.backends.tf_serving, "
            "audit_engine.run, audit_engine.compare; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tensorflow_serving')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
