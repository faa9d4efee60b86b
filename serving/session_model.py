"""Run a SavedModel's signatures the way tensorflow_model_server does.

TF Serving does not use eager ``tf.saved_model.load``: it restores the MetaGraph with its saver,
runs the init op and calls ``Session.run`` on the tensor names in the SignatureDef. A model can
work eagerly and still fail here (DESIGN.md), so the local server, the embedded audit backend
and the export tests all go through this class.
"""

import json
import logging
import os

import numpy as np
import tensorflow as tf

from saliency_core import contract


class SignatureNotFound(KeyError):
    pass


class InvalidInput(ValueError):
    pass


class SessionModel:
    """A SavedModel version loaded with ``tf.compat.v1.saved_model.loader.load``."""

    def __init__(self, export_dir, intra_op_threads=0, inter_op_threads=0):
        self.export_dir = export_dir
        self.graph = tf.Graph()
        config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra_op_threads,
                                          inter_op_parallelism_threads=inter_op_threads)
        self.session = tf.compat.v1.Session(graph=self.graph, config=config)
        # The loader is deprecated in favour of eager tf.saved_model.load, which is not what TF Serving runs; its
        # warning would tell users to switch away from the path this project uses on purpose.
        logger = tf.get_logger()
        level = logger.level
        if not os.environ.get("SALIENCY_AUDIT_VERBOSE"):
            logger.setLevel(logging.ERROR)
        try:
            with self.graph.as_default():
                meta_graph = tf.compat.v1.saved_model.loader.load(
                    self.session, [contract.SERVE_TAG], export_dir)
        finally:
            logger.setLevel(level)
        self.signature_defs = dict(meta_graph.signature_def)
        self._metadata = None

    def signature(self, name):
        try:
            return self.signature_defs[name]
        except KeyError:
            raise SignatureNotFound(
                f"signature {name!r} not found; available: {sorted(self.signature_defs)}") from None

    def run(self, signature_name, inputs, output_filter=()):
        """inputs: {input alias: numpy array}. Returns {output alias: numpy array}."""
        signature = self.signature(signature_name)
        expected = set(signature.inputs)
        if set(inputs) != expected:
            raise InvalidInput(f"signature {signature_name!r} takes inputs {sorted(expected)}, "
                               f"got {sorted(inputs)}")
        feeds = {}
        for alias, value in inputs.items():
            tensor_info = signature.inputs[alias]
            expected_dtype = tf.as_dtype(tensor_info.dtype)
            value = np.asarray(value)
            if expected_dtype == tf.string:
                if value.dtype.kind not in ("O", "S", "U") or (
                        value.dtype.kind == "O" and not all(isinstance(v, (bytes, str)) for v in value.flat)):
                    raise InvalidInput(f"input {alias!r} expects {expected_dtype.name} but {value.dtype} is provided")
                value = value.astype(object)
            elif value.dtype != expected_dtype.as_numpy_dtype:
                raise InvalidInput(f"input {alias!r} expects {expected_dtype.name} but {value.dtype} is provided")
            if value.ndim != len(tensor_info.tensor_shape.dim):
                raise InvalidInput(f"input {alias!r} must have rank {len(tensor_info.tensor_shape.dim)}, "
                                   f"got shape {list(value.shape)}")
            feeds[tensor_info.name] = value
        aliases = list(output_filter) or list(signature.outputs)
        unknown = [a for a in aliases if a not in signature.outputs]
        if unknown:
            raise InvalidInput(f"signature {signature_name!r} has no outputs {unknown}")
        fetches = [signature.outputs[a].name for a in aliases]
        try:
            values = self.session.run(fetches, feed_dict=feeds)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
            raise InvalidInput(str(error).splitlines()[0]) from error
        return dict(zip(aliases, values))

    def warm_up(self, signature_names=None):
        """Replay assets.extra/tf_serving_warmup_requests, as tensorflow_model_server does at load, so that the first
        real request does not pay for the session's first run of each signature (measured: 1.1 s for the saliency
        signature and 0.4 s for predict on a batch of 256, against 0.05 and 0.02 s warm). ``signature_names``: replay
        only the requests for these. Returns the number of requests replayed (0 without a warmup file)."""
        from tensorflow_serving.apis import prediction_log_pb2
        path = os.path.join(self.export_dir, contract.ASSETS_EXTRA_DIR, contract.WARMUP_FILENAME)
        if not os.path.exists(path):
            return 0
        replayed = 0
        for serialized in tf.data.TFRecordDataset(path).as_numpy_iterator():
            request = prediction_log_pb2.PredictionLog.FromString(serialized).predict_log.request
            name = request.model_spec.signature_name or contract.SALIENCY_SIGNATURE
            if name not in self.signature_defs or (signature_names is not None and name not in signature_names):
                continue
            self.run(name, {alias: tf.make_ndarray(tensor) for alias, tensor in request.inputs.items()})
            replayed += 1
        return replayed

    def explain(self, texts):
        """texts: list of str -> the saliency signature's outputs as numpy arrays."""
        return self.run(contract.SALIENCY_SIGNATURE,
                        {contract.TEXT_INPUT: np.asarray(texts, dtype=object)})

    def metadata(self):
        """The training metadata, read from the model's own metadata signature."""
        if self._metadata is None:
            out = self.run(contract.METADATA_SIGNATURE, {contract.TEXT_INPUT: np.asarray([""], dtype=object)})
            self._metadata = json.loads(out[contract.METADATA_JSON][0].decode("utf-8"))
        return self._metadata

    def close(self):
        self.session.close()
