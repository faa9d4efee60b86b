import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import SHARED_DATA
from trainer import penalty
from trainer.corpus import load_corpus
from trainer.lexicon import Lexicon
from trainer.model import RightReasonsModel, TextClassifier
from trainer.train import FitSettings, build_vocabulary, encode_examples, fit, make_dataset, set_seed

TEXTS = ["good movie text", "bad film video", "great acting text here", "awful plot video", "fine text",
         "dull video ending", "superb text cast", "boring video script"]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]
LEXICON = Lexicon.from_entries(["text", "video"])


def tiny_examples(seed=0):
    set_seed(seed)
    classifier = TextClassifier(build_vocabulary(TEXTS, 30), 2, max_tokens=6, embedding_dim=4, hidden_units=3)
    return classifier, encode_examples(classifier, TEXTS, LABELS, LEXICON)


def test_train_step_with_penalty_changes_weights_and_has_finite_gradients():
    classifier, examples = tiny_examples()
    model = RightReasonsModel(classifier, penalty_weight=5.0)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    inputs, labels = next(iter(make_dataset(examples, batch_size=8)))
    with tf.GradientTape() as tape:
        _, classification_loss, saliency_loss = model._loss_terms(inputs, labels, True)
        loss = classification_loss + model.penalty_weight * saliency_loss
    variables = model.trainable_variables
    gradients = tape.gradient(loss, variables)
    assert saliency_loss.numpy() > 0
    assert len(variables) >= 5  # embedding, 3 LSTM, 2 dense
    for variable, gradient in zip(variables, gradients):
        assert gradient is not None, f"no gradient for {variable.path}"
        assert np.all(np.isfinite(tf.convert_to_tensor(gradient).numpy())), variable.path
    before = [v.numpy().copy() for v in variables]
    logs = model.train_step((inputs, labels))
    assert set(logs) == {"loss", "classification_loss", "saliency_loss", "accuracy"}
    for variable, old in zip(model.trainable_variables, before):
        assert not np.allclose(variable.numpy(), old), f"{variable.path} did not change"


def test_penalty_has_second_order_effect_on_the_lstm():
    """The penalty's own gradient reaches the LSTM kernel (double backprop), not only the embedding."""
    classifier, examples = tiny_examples()
    model = RightReasonsModel(classifier, penalty_weight=1.0)
    inputs, labels = next(iter(make_dataset(examples, batch_size=8)))
    with tf.GradientTape() as tape:
        _, _, saliency_loss = model._loss_terms(inputs, labels, True)
    gradients = tape.gradient(saliency_loss, classifier.encoder.trainable_variables)
    assert all(g is not None and np.any(tf.convert_to_tensor(g).numpy() != 0) for g in gradients)


def test_lambda_zero_reproduces_plain_fit():
    classifier, examples = tiny_examples(seed=3)
    classifier(tf.constant(examples.ids[:1]))
    plain, _ = tiny_examples(seed=3)
    plain(tf.constant(examples.ids[:1]))
    plain.set_weights(classifier.get_weights())
    plain.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy())
    plain.fit(examples.ids, examples.labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model = RightReasonsModel(classifier, penalty_weight=0.0)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    history = model.fit(make_dataset(examples, batch_size=8), epochs=2, verbose=0)
    for ours, theirs in zip(classifier.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(ours, theirs, atol=1e-7)
    assert history.history["saliency_loss"][-1] > 0  # measured even when not trained on


def test_trackers_are_per_model_and_reset_each_epoch():
    classifier, examples = tiny_examples()
    model = RightReasonsModel(classifier, penalty_weight=1.0)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    history = model.fit(make_dataset(examples, 4), validation_data=make_dataset(examples, 4), epochs=2, verbose=0)
    for key in ("loss", "classification_loss", "saliency_loss", "accuracy", "val_loss", "val_saliency_loss"):
        assert len(history.history[key]) == 2
    other = RightReasonsModel(tiny_examples()[0])
    assert other.metrics[0] is not model.metrics[0]
    # Reset per epoch: epoch 2's loss is the mean over epoch 2 only, equal to evaluate's mean over it.
    np.testing.assert_allclose(history.history["loss"][1],
                               history.history["classification_loss"][1] + history.history["saliency_loss"][1],
                               rtol=1e-4)


RT_POLARITY = os.path.join(SHARED_DATA, "rt_polarity", "rt_polarity.csv")


def inject_decoys(texts, labels, rng, by_label):
    decoys = {"1": "text", "0": "video"}
    out = []
    for text, label in zip(texts, labels):
        words = text.split()
        position = int(rng.integers(0, len(words) + 1))
        decoy = decoys[label] if by_label else decoys[str(rng.integers(0, 2))]
        out.append(" ".join(words[:position] + [decoy] + words[position:]))
    return out


@pytest.mark.skipif(not os.path.exists(RT_POLARITY), reason="../shared/data/rt_polarity is absent")
def test_penalty_removes_decoy_reliance_on_rt_polarity():
    parts = load_corpus(RT_POLARITY, split_column="split", splits=["train", "test"])
    train, test = parts["train"], parts["test"]
    rng = np.random.default_rng(0)
    train_texts = inject_decoys(train.texts, train.labels, rng, by_label=True)
    decoy_test_texts = inject_decoys(test.texts, test.labels, rng, by_label=False)
    train_labels, test_labels = [int(v) for v in train.labels], [int(v) for v in test.labels]
    results = {}
    for name, weight in (("vanilla", 0.0), ("penalised", 100.0)):
        set_seed(0)
        classifier = TextClassifier(build_vocabulary(train_texts, 8000), 2, 40, 32, 32)
        examples = encode_examples(classifier, train_texts, train_labels, LEXICON)
        fit(classifier, examples, FitSettings(penalty_weight=weight, target="all", epochs=3, batch_size=64,
                                              learning_rate=2e-3), verbose=0)
        clean = encode_examples(classifier, test.texts, test_labels, LEXICON)
        decoy = encode_examples(classifier, decoy_test_texts, test_labels, LEXICON)
        accuracy = np.mean(np.argmax(classifier(clean.ids).numpy(), -1) == clean.labels)
        ids = tf.constant(decoy.ids)
        from trainer.model import probabilities_and_input_gradients
        _, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
        saliency = penalty.saliency(gradients, token_mask, "l2").numpy()
        share = np.mean((saliency * decoy.forbidden_mask).sum(1) / saliency.sum(1))
        results[name] = (accuracy, share)
    print(results)
    (vanilla_accuracy, vanilla_share), (penalised_accuracy, penalised_share) = results["vanilla"], results["penalised"]
    assert vanilla_share > 5 * penalised_share
    assert penalised_accuracy > vanilla_accuracy + 0.02
