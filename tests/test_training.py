import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import SHARED_DATA

from saliency_core.lexicon import Lexicon
from saliency_core.substitutions import SubstitutionGroups
from trainer.corpus import load_corpus
from trainer.encoding import balanced_sample_weights, build_vocabulary, encode_examples, make_dataset
from trainer.model import RightReasonsModel, TextClassifier
from trainer.penalties import PenaltyConfig, input_gradient
from trainer.train import FitSettings, fit, set_seed

TEXTS = ["good movie text", "bad film video", "great acting text here", "awful plot video", "fine text",
         "dull video ending", "superb text cast", "boring video script"]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]
LEXICON = Lexicon.from_entries(["text", "video"])


def tiny_examples(seed=0, pooling="last"):
    set_seed(seed)
    classifier = TextClassifier(build_vocabulary(TEXTS, 30), 2, max_tokens=6, embedding_dim=4, hidden_units=3,
                                pooling=pooling)
    return classifier, encode_examples(classifier, TEXTS, LABELS, LEXICON)


CONFIGS = {
    "input-gradient": PenaltyConfig(input_gradient_weight=5.0),
    "counterfactual-kl": PenaltyConfig(counterfactual_weight=5.0),
    "counterfactual-logit-pairing": PenaltyConfig(counterfactual_weight=5.0, divergence="logit-pairing"),
    "both": PenaltyConfig(input_gradient_weight=5.0, counterfactual_weight=5.0),
    "subspace": PenaltyConfig(counterfactual_weight=5.0, subspace_weight=5.0, subspace_rank=2),
}


@pytest.mark.parametrize("name, pooling", [(name, "last") for name in sorted(CONFIGS)]
                         + [("both", "max"), ("both", "attention")])
def test_train_step_with_each_penalty_changes_weights_and_has_finite_gradients(name, pooling):
    classifier, examples = tiny_examples(pooling=pooling)
    listed = np.unique(examples.ids[examples.forbidden_mask > 0.5])  # as fit hands them to the terms
    model = RightReasonsModel(classifier, CONFIGS[name], listed)
    model.compile(optimizer=keras.optimizers.SGD(0.5), metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy")])
    inputs, labels = next(iter(make_dataset(examples, batch_size=8)))
    with tf.GradientTape() as tape:
        probabilities, terms = model.penalty(classifier, inputs, training=True)
        loss = model.cross_entropy(labels, probabilities) + model.penalty.total(terms)
    variables = model.trainable_variables
    gradients = tape.gradient(loss, variables)
    assert all(terms[key].numpy() > 0 for key in terms)
    assert len(variables) >= 5  # embedding, 3 LSTM, 2 dense
    for variable, gradient in zip(variables, gradients):
        assert gradient is not None, f"no gradient for {variable.path}"
        assert np.all(np.isfinite(tf.convert_to_tensor(gradient).numpy())), variable.path
    before = [v.numpy().copy() for v in variables]
    logs = model.train_step((inputs, labels))
    assert set(logs) == {"loss", "classification_loss", "accuracy", *terms}
    for variable, old in zip(model.trainable_variables, before):
        assert not np.allclose(variable.numpy(), old), f"{variable.path} did not change"


def test_penalty_has_second_order_effect_on_the_lstm():
    """The penalty's own gradient reaches the LSTM kernel (double backprop), not only the embedding."""
    classifier, examples = tiny_examples()
    model = RightReasonsModel(classifier, PenaltyConfig(input_gradient_weight=1.0))
    inputs, labels = next(iter(make_dataset(examples, batch_size=8)))
    with tf.GradientTape() as tape:
        _, terms = model.penalty(classifier, inputs, training=True)
    gradients = tape.gradient(terms["saliency_loss"], classifier.encoder.trainable_variables)
    assert all(g is not None and np.any(tf.convert_to_tensor(g).numpy() != 0) for g in gradients)


@pytest.mark.parametrize("bidirectional, pooling", [(False, "last"), (True, "last"), (False, "max"),
                                                    (True, "attention")])
def test_removal_through_the_mask_equals_removing_the_words_from_the_text(bidirectional, pooling):
    set_seed(0)
    classifier = TextClassifier(build_vocabulary(TEXTS, 30), 2, max_tokens=6, embedding_dim=4, hidden_units=3,
                                bidirectional=bidirectional, pooling=pooling)
    examples = encode_examples(classifier, TEXTS, LABELS, LEXICON)
    ids = tf.constant(examples.ids)
    kept = tf.logical_and(ids != 0, examples.forbidden_mask < 0.5)
    through_mask = classifier.classify_embeddings(classifier.embed(ids), kept).numpy()
    removed_texts = [" ".join(LEXICON.without(tokens)) for tokens in examples.tokens]
    _, _, _, removed_ids = classifier.encode(tf.constant(removed_texts))
    np.testing.assert_allclose(through_mask, classifier(removed_ids).numpy(), atol=1e-6)
    assert examples.forbidden_mask.sum() > 0


@pytest.mark.slow
def test_lambda_zero_reproduces_plain_fit():
    classifier, examples = tiny_examples(seed=3)
    classifier(tf.constant(examples.ids[:1]))
    plain, _ = tiny_examples(seed=3)
    plain(tf.constant(examples.ids[:1]))
    plain.set_weights(classifier.get_weights())
    plain.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy())
    plain.fit(examples.ids, examples.labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model = RightReasonsModel(classifier, PenaltyConfig())
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    history = model.fit(make_dataset(examples, batch_size=8), validation_data=make_dataset(examples, 8), epochs=2,
                        verbose=0)
    for ours, theirs in zip(classifier.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(ours, theirs, atol=1e-7)
    # Not trained on, but validation measures both terms; training logs do not pretend they are 0.
    assert history.history["val_saliency_loss"][-1] > 0 and history.history["val_counterfactual_loss"][-1] > 0
    assert "saliency_loss" not in history.history and "counterfactual_loss" not in history.history


@pytest.mark.slow
def test_trackers_are_per_model_reset_each_epoch_and_compile_metrics_still_apply():
    classifier, examples = tiny_examples()
    model = RightReasonsModel(classifier, PenaltyConfig(input_gradient_weight=1.0, counterfactual_weight=1.0))
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy"), keras.metrics.SparseTopKCategoricalAccuracy(k=1, name="top1")])
    history = model.fit(make_dataset(examples, 4), validation_data=make_dataset(examples, 4), epochs=2, verbose=0)
    for key in ("loss", "classification_loss", "saliency_loss", "counterfactual_loss", "accuracy", "top1",
                "val_loss", "val_saliency_loss", "val_counterfactual_loss", "val_top1"):
        assert len(history.history[key]) == 2, key
    other = RightReasonsModel(tiny_examples()[0])
    assert other.classification_loss_tracker is not model.classification_loss_tracker
    # Reset per epoch: epoch 2's loss is the mean over epoch 2 only.
    np.testing.assert_allclose(history.history["loss"][1],
                               history.history["classification_loss"][1] + history.history["saliency_loss"][1]
                               + history.history["counterfactual_loss"][1], rtol=1e-4)


def test_balanced_class_weights_and_sample_weights_reach_the_loss():
    weights = balanced_sample_weights(np.array([0, 0, 0, 1]), 2)
    np.testing.assert_allclose(weights, [4 / 6, 4 / 6, 4 / 6, 2.0])
    np.testing.assert_allclose(weights[:3].sum(), weights[3:].sum())
    classifier, examples = tiny_examples()
    model = RightReasonsModel(classifier, PenaltyConfig())
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    inputs = {"ids": examples.ids, "forbidden_mask": examples.forbidden_mask}
    labels = tf.constant(examples.labels)
    unweighted = model.test_step((inputs, labels))["classification_loss"].numpy()
    model.classification_loss_tracker.reset_state()
    only_first = np.zeros(len(LABELS), np.float32)
    only_first[0] = 1.0
    weighted = model.test_step((inputs, labels, tf.constant(only_first)))["classification_loss"].numpy()
    first = -np.log(classifier(tf.constant(examples.ids[:1])).numpy()[0, LABELS[0]])
    np.testing.assert_allclose(weighted, first / len(LABELS), rtol=1e-4)  # Keras: weighted sum / batch size
    assert not np.isclose(weighted, unweighted)


def test_substitution_pairs_replace_a_group_term_in_the_ids():
    groups = SubstitutionGroups([["text", "video"]])
    classifier, _ = tiny_examples()
    examples = encode_examples(classifier, ["good text", "plain words"], [1, 0], substitutions=groups)
    assert examples.has_substitute.tolist() == [1.0, 0.0]
    expected = classifier.encode(tf.constant(["good video"]))[3].numpy()[0]
    np.testing.assert_array_equal(examples.substituted_ids[0], expected)
    np.testing.assert_array_equal(examples.substituted_ids[1], examples.ids[1])
    inputs, labels = next(iter(make_dataset(examples, 2)))
    model = RightReasonsModel(classifier, PenaltyConfig(counterfactual_weight=1.0))
    _, terms = model.penalty(classifier, inputs)
    assert terms["counterfactual_loss"].numpy() > 0  # "plain words" has no forbidden mask: only the pair counts


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


@pytest.mark.slow
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
        fit(classifier, examples, FitSettings(PenaltyConfig(input_gradient_weight=weight, target="all"), epochs=3,
                                              batch_size=64, learning_rate=2e-3), verbose=0)
        clean = encode_examples(classifier, test.texts, test_labels, LEXICON)
        decoy = encode_examples(classifier, decoy_test_texts, test_labels, LEXICON)
        accuracy = np.mean(np.argmax(classifier(clean.ids).numpy(), -1) == clean.labels)
        ids = tf.constant(decoy.ids)
        from trainer.penalties.input_gradient import probabilities_and_input_gradients
        _, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
        saliency = input_gradient.saliency(gradients, token_mask, "l2").numpy()
        share = np.mean((saliency * decoy.forbidden_mask).sum(1) / saliency.sum(1))
        results[name] = (accuracy, share)
    print(results)
    (vanilla_accuracy, vanilla_share), (penalised_accuracy, penalised_share) = results["vanilla"], results["penalised"]
    assert vanilla_share > 5 * penalised_share
    assert penalised_accuracy > vanilla_accuracy + 0.02


def test_word2vec_starts_the_embedding_and_the_same_seed_gives_the_same_vectors(example_paths):
    from trainer.train import DataSources, ModelSettings, load_training_data, prepare
    from trainer.word_vectors import word2vec_vectors
    data = load_training_data(example_paths["train"], DataSources(forbidden_path=example_paths["forbidden"]))
    settings = ModelSettings(max_tokens=12, vocabulary_size=60, embedding_dim=8, hidden_units=4,
                             word_vectors="word2vec")
    classifier = prepare(data, settings, seed=3).classifier
    vectors = word2vec_vectors(data.train.texts, 8, 3)
    vocabulary = classifier.lookup.get_vocabulary()
    embedding = classifier.embedding.embeddings.numpy()
    started = [word for word in vocabulary[2:] if word in vectors]
    assert len(started) > 20
    for word in started:
        np.testing.assert_array_equal(embedding[vocabulary.index(word)], vectors[word])
    again = prepare(data, settings, seed=3).classifier.embedding.embeddings.numpy()
    np.testing.assert_array_equal(again[2:], embedding[2:])


def test_a_batch_cut_to_its_longest_text_gives_the_same_losses():
    """The training step runs the LSTM over the batch's longest text (model.cut_to_longest), not T: every penalty
    term and the probabilities are those of the whole T."""
    import numpy as np
    import tensorflow as tf

    from trainer.model import TextClassifier, cut_to_longest
    from trainer.penalties import PenaltyConfig
    from trainer.penalties.composite import ForbiddenTokenPenalty

    classifier = TextClassifier([f"w{i}" for i in range(50)], 2, 24, 8, 8, pooling="attention")
    rng = np.random.default_rng(0)
    ids = np.zeros((6, 24), np.int64)
    substituted = np.zeros((6, 24), np.int64)
    for row, length in enumerate([3, 7, 1, 5, 9, 2]):
        ids[row, :length] = rng.integers(2, 52, length)
        substituted[row, : length + 2] = rng.integers(2, 52, length + 2)  # a longer substitute: L follows it
    forbidden = (rng.random((6, 24)) < 0.3) * (ids != 0)
    inputs = {"ids": tf.constant(ids), "forbidden_mask": tf.constant(forbidden, tf.float32),
              "substituted_ids": tf.constant(substituted), "has_substitute": tf.ones([6])}
    cut = cut_to_longest(classifier, inputs)
    assert cut["ids"].shape == (6, 11) and cut["has_substitute"].shape == (6,)
    penalty = ForbiddenTokenPenalty(PenaltyConfig(input_gradient_weight=1.0, counterfactual_weight=1.0))
    whole, whole_terms = penalty(classifier, inputs, measure_all=True)
    short, short_terms = penalty(classifier, cut, measure_all=True)
    np.testing.assert_allclose(short.numpy(), whole.numpy(), atol=1e-6)
    assert set(short_terms) == set(whole_terms)
    for name in whole_terms:
        np.testing.assert_allclose(short_terms[name].numpy(), whole_terms[name].numpy(), rtol=1e-5, atol=1e-7)


def test_length_buckets_batch_similar_lengths_and_the_same_seed_gives_the_same_batches():
    import numpy as np

    from trainer.encoding import LENGTH_BUCKET_BATCHES, EncodedExamples, make_dataset

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 20, 100)
    ids = np.zeros((100, 20), np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = row + 2  # each example's id is its own row, to find it in a batch
    examples = EncodedExamples(ids, np.zeros((100, 20), np.float32), np.arange(100, dtype=np.int32) % 2, [])

    def epoch(seed):
        return [batch[0]["ids"].numpy() for batch in make_dataset(examples, 4, seed, length_buckets=True)]

    first = epoch(7)
    seen = sorted(int(row[0]) - 2 for batch in first for row in batch)
    assert seen == list(range(100))  # every example once an epoch
    real = [np.count_nonzero(batch, axis=1) for batch in first]
    for window in range(0, len(real), LENGTH_BUCKET_BATCHES):  # within a window, batches go from short to long
        flat = np.concatenate(real[window:window + LENGTH_BUCKET_BATCHES])
        assert (np.diff(flat) >= 0).all()
    assert all((a == b).all() for a, b in zip(first, epoch(7)))
    assert any((a != b).any() for a, b in zip(first, epoch(8)))
