"""TensorProto <-> numpy without TensorFlow: what the client needs of ``tf.make_tensor_proto`` (strings in) and
``tf.make_ndarray`` (numbers and strings out, from ``tensor_content`` or the typed fields). tests/test_serving_api.py
checks parity with TensorFlow's own functions."""

from collections.abc import Sequence

import numpy as np

from audit_engine.serving_api import DataType, TensorProto

_NUMBER = DataType.values_by_name
# dtype enum -> (numpy dtype, typed field holding the values when tensor_content is empty)
_CODECS = {
    _NUMBER["DT_FLOAT"].number: (np.float32, "float_val"),
    _NUMBER["DT_DOUBLE"].number: (np.float64, "double_val"),
    _NUMBER["DT_HALF"].number: (np.float16, "half_val"),  # bit patterns as uint16
    _NUMBER["DT_INT8"].number: (np.int8, "int_val"),
    _NUMBER["DT_INT16"].number: (np.int16, "int_val"),
    _NUMBER["DT_INT32"].number: (np.int32, "int_val"),
    _NUMBER["DT_INT64"].number: (np.int64, "int64_val"),
    _NUMBER["DT_UINT8"].number: (np.uint8, "int_val"),
    _NUMBER["DT_UINT16"].number: (np.uint16, "int_val"),
    _NUMBER["DT_UINT32"].number: (np.uint32, "uint32_val"),
    _NUMBER["DT_UINT64"].number: (np.uint64, "uint64_val"),
    _NUMBER["DT_BOOL"].number: (np.bool_, "bool_val"),
}
DT_STRING = _NUMBER["DT_STRING"].number


def string_tensor(values: Sequence[bytes] | np.ndarray, rank: int = 1) -> TensorProto:
    """bytes [B] -> a DT_STRING TensorProto of shape [B], or [B, 1] with ``rank`` 2 (a Keras text input)
    (``tf.make_tensor_proto(values, dtype=tf.string)``)."""
    proto = TensorProto(dtype=DT_STRING)
    proto.tensor_shape.dim.add().size = len(values)
    if rank == 2:
        proto.tensor_shape.dim.add().size = 1
    proto.string_val.extend(values)
    return proto


def to_ndarray(proto: TensorProto) -> np.ndarray:
    """A TensorProto -> numpy array (``tf.make_ndarray``): strings as an object array of bytes."""
    shape = [dim.size for dim in proto.tensor_shape.dim]
    count = int(np.prod(shape, dtype=np.int64))
    if proto.dtype == DT_STRING:
        strings = list(proto.string_val)
        if len(strings) < count:  # TensorFlow repeats the last value (a single value fills the tensor)
            strings.extend([strings[-1] if strings else b""] * (count - len(strings)))
        return np.array(strings, dtype=object).reshape(shape)
    try:
        dtype, field = _CODECS[proto.dtype]
    except KeyError:
        raise ValueError(f"unsupported tensor dtype {DataType.values_by_number[proto.dtype].name}") from None
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)
    if field == "half_val":
        values = np.fromiter(proto.half_val, dtype=np.uint16).view(np.float16)
    else:
        values = np.fromiter(getattr(proto, field), dtype=dtype)
    if values.size == 0:
        return np.zeros(shape, dtype)
    if values.size > count:
        raise ValueError(f"tensor holds {values.size} values for shape {shape}")
    if values.size != count:
        values = np.pad(values, (0, count - values.size), "edge")
    return values.reshape(shape)
