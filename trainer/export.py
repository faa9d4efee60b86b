"""Export a trained TextClassifier as a versioned TF Serving SavedModel (DESIGN.md, "The export contract")."""

import json
import os
import re
import shutil
import tempfile

import keras
import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from saliency_core import contract
from trainer.attributions import gradient, integrated_gradients
from trainer.model import cut_to_longest

# The folding of non-ASCII words is a function the session optimises on the first batch that holds one (fold.py,
# _fold_function), so a warmup request with a non-ASCII word moves that cost (measured: about 0.14 s for the
# saliency signature, 0.10 s for predict) from a real corpus's first batch to the load.
WARMUP_TEXTS = ("a short warmup request", "", "na\u00efve caf\u00e9")


def next_version(model_dir: str) -> int:
    """The next integer version under ``<base>/<model_name>`` (1 when there is none)."""
    existing = [int(name) for name in os.listdir(model_dir) if re.fullmatch(contract.VERSION_FOLDER, name)] \
        if os.path.isdir(model_dir) else []
    return max(existing, default=0) + 1


def _serving_functions(classifier, class_names, reduction, metadata_json, ig_steps):
    class_table = tf.constant(class_names, dtype=tf.string)
    width = classifier.max_tokens

    def cut(ids):
        """ids [B, T] -> [B, L]: the graph steps over the batch's longest text only, as the training step does."""
        return cut_to_longest(classifier, {"ids": ids})["ids"]

    def padded(values):
        """[B, L] -> [B, T] with zeros on the right: the contract's shapes, whatever L was."""
        return tf.pad(values, [[0, 0], [0, width - tf.shape(values)[1]]])

    def outputs(tokens, token_count, attribution):
        return {
            contract.PROBABILITIES: attribution.probabilities,
            contract.SALIENCY: padded(attribution.saliency),
            contract.TOKENS: tokens,
            contract.PREDICTED_LABEL: tf.gather(class_table, tf.argmax(attribution.probabilities, axis=-1)),
            contract.TOKEN_COUNT: token_count,
        }

    def explain(text):
        tokens, token_count, _, ids = classifier.encode(text)
        # Serving always explains the predicted class, whatever target was used in training.
        return outputs(tokens, token_count, gradient.attribute(classifier, cut(ids), reduction))

    def explain_integrated_gradients(text):
        tokens, token_count, _, ids = classifier.encode(text)
        attribution = integrated_gradients.attribute(classifier, cut(ids), ig_steps)
        return {**outputs(tokens, token_count, attribution),
                contract.ATTRIBUTIONS: padded(attribution.attributions),
                contract.COMPLETENESS_GAP: attribution.completeness_gap}

    def predict(text):
        _, _, _, ids = classifier.encode(text)
        return {contract.PROBABILITIES: classifier(cut(ids))}

    def metadata(text):
        # One copy per row keeps dimension 0 equal to the batch, which TF Serving's batcher requires.
        return {contract.METADATA_JSON: tf.fill(tf.shape(text), metadata_json)}

    return {contract.SALIENCY_SIGNATURE: explain,
            contract.PROBABILITIES_SIGNATURE: predict,
            contract.METADATA_SIGNATURE: metadata,
            contract.INTEGRATED_GRADIENTS_SIGNATURE: explain_integrated_gradients}


def write_warmup_requests(path, model_name):
    """TF Serving replays these PredictionLogs at load time so the first real request is not slow."""
    with tf.io.TFRecordWriter(path) as writer:
        for signature in (contract.SALIENCY_SIGNATURE, contract.PROBABILITIES_SIGNATURE,
                          contract.INTEGRATED_GRADIENTS_SIGNATURE):
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature))
            request.inputs[contract.TEXT_INPUT].CopyFrom(
                tf.make_tensor_proto(list(WARMUP_TEXTS), dtype=tf.string))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())


def export_model(classifier, class_names: list[str], export_base: str, model_name: str, metadata: dict, reduction: str,
                 version: int | None = None, ig_steps: int = integrated_gradients.DEFAULT_STEPS) -> str:
    """Write ``<export_base>/<model_name>/<version>/`` and return its path.

    The version directory appears in one rename once it is complete, so a server watching the
    base path never loads a half-written model.
    """
    if not re.fullmatch(contract.MODEL_NAME, model_name):
        raise ValueError(f"model name {model_name!r} is not one folder name of letters, digits, '.', '_', '-'")
    model_dir = os.path.join(export_base, model_name)
    os.makedirs(model_dir, exist_ok=True)
    version = int(version) if version is not None else next_version(model_dir)
    final_dir = os.path.join(model_dir, str(version))
    if os.path.exists(final_dir):
        raise FileExistsError(f"{final_dir} already exists; choose another --version")
    metadata = dict(metadata, model_name=model_name, version=version,
                    class_names=list(class_names), contract_version=contract.CONTRACT_VERSION,
                    integrated_gradients_steps=int(ig_steps),
                    tensorflow_version=tf.__version__, keras_version=keras.__version__)
    metadata_json = json.dumps(metadata, sort_keys=True)

    if not classifier.built:
        # Trained through its parts (embed / classify_embeddings), the model itself was never called.
        classifier(tf.zeros([1, classifier.max_tokens], tf.int64))
    archive = keras.export.ExportArchive()
    archive.track(classifier)
    text_spec = [tf.TensorSpec([None], tf.string, name=contract.TEXT_INPUT)]
    for name, fn in _serving_functions(classifier, list(class_names), reduction, metadata_json, ig_steps).items():
        archive.add_endpoint(name=name, fn=fn, input_signature=text_spec)

    staging_dir = tempfile.mkdtemp(prefix=f".staging-{version}-", dir=model_dir)
    try:
        archive.write_out(staging_dir, verbose=False)
        extra_dir = os.path.join(staging_dir, contract.ASSETS_EXTRA_DIR)
        os.makedirs(extra_dir, exist_ok=True)
        with open(os.path.join(extra_dir, contract.METADATA_FILENAME), "w", encoding="utf-8") as f:
            json.dump(metadata, f, indent=2, sort_keys=True)
        write_warmup_requests(os.path.join(extra_dir, contract.WARMUP_FILENAME), model_name)
        os.rename(staging_dir, final_dir)
    except BaseException:
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    return final_dir
