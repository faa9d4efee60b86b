"""A text classifier this project did not train, as teams serve theirs: a Keras model (its own TextVectorization,
case kept, its own signature names, no saliency, no metadata) exported as a plain SavedModel.

Its weights are set, not trained: the decoy word 'video' pushes towards class 1 and 'dull' towards class 0, so
reliance on 'video' is known in advance."""

import numpy as np

VOCABULARY = ["video", "dull", "film", "plot", "Great"]


def export_foreign_model(path, logits=False, column=False, input_name="sentence", output_name="scores"):
    """Export to ``path`` (a version folder). ``logits``: the output holds logits, not probabilities; ``column``:
    the input is [batch, 1] as Keras text models often take it."""
    import keras
    import tensorflow as tf

    vectorize = keras.layers.TextVectorization(standardize=None, vocabulary=VOCABULARY, output_mode="count")
    dense = keras.layers.Dense(2)
    dense.build((None, len(VOCABULARY) + 1))
    weights = np.zeros((len(VOCABULARY) + 1, 2), np.float32)
    weights[1 + VOCABULARY.index("video")] = [-1.5, 1.5]
    weights[1 + VOCABULARY.index("dull")] = [1.0, -1.0]
    weights[1 + VOCABULARY.index("Great")] = [-0.4, 0.4]
    dense.set_weights([weights, np.asarray([0.3, -0.3], np.float32)])

    model = keras.Sequential([vectorize, dense])
    model(tf.constant(["video"]))  # built before export
    archive = keras.export.ExportArchive()  # the Keras way to a plain SavedModel, with signatures of its own
    archive.track(model)

    def serve(text):
        scores = model(tf.reshape(text, [-1]))
        return {output_name: scores if logits else tf.nn.softmax(scores), "label_id": tf.argmax(scores, axis=1)}

    spec = tf.TensorSpec([None, 1] if column else [None], tf.string, name=input_name)
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=[spec])
    archive.write_out(path, verbose=False)
    return path


def probabilities(texts):
    """The same model in numpy: its class probabilities for ``texts`` (whitespace words, case kept)."""
    weights = {"video": 1.5, "dull": -1.0, "Great": 0.4}
    logits = np.asarray([-0.6 + 2 * sum(weights.get(w, 0.0) for w in t.split()) for t in texts])
    positive = 1 / (1 + np.exp(-logits))
    return np.stack([1 - positive, positive], axis=1)
