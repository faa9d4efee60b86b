import numpy as np
import pytest
import tensorflow as tf

from trainer.model import TextClassifier
from trainer.penalties import counterfactual, input_gradient
from trainer.penalties.input_gradient import probabilities_and_input_gradients


class BagOfEmbeddings:
    """A fixed model with a closed-form input gradient: p = softmax((sum_t m_t e_t) W).

    d log p_k / d e_t = m_t (W[:, k] - sum_j p_j W[:, j]).
    """

    def __init__(self, table, weights):
        self.table = tf.constant(table, tf.float32)
        self.weights = tf.constant(weights, tf.float32)

    def embed(self, ids):
        return tf.gather(self.table, ids)

    def classify_embeddings(self, embeddings, token_mask, training=False):
        pooled = tf.reduce_sum(embeddings * tf.cast(token_mask, tf.float32)[..., None], axis=1)
        return tf.nn.softmax(pooled @ self.weights)


TABLE = np.array([[0.0, 0.0], [0.5, -1.0], [1.0, 2.0], [-1.5, 0.5]])
WEIGHTS = np.array([[1.0, -1.0, 0.5], [0.0, 1.0, -0.5]])  # E = 2, C = 3
IDS = np.array([[1, 2, 3, 0], [1, 1, 0, 0]])  # 0 = padding; predicts classes 1 and 2
MODEL = BagOfEmbeddings(TABLE, WEIGHTS)


def hand_gradients(target):
    grads = np.zeros(IDS.shape + (2,))
    for n, row in enumerate(IDS):
        pooled = TABLE[row[row > 0]].sum(axis=0)
        logits = pooled @ WEIGHTS
        p = np.exp(logits - logits.max())
        p /= p.sum()
        expected_w = WEIGHTS @ p
        if target == "predicted":
            direction = WEIGHTS[:, np.argmax(p)] - expected_w
        else:
            direction = sum(WEIGHTS[:, k] - expected_w for k in range(3))
        for t, token in enumerate(row):
            if token > 0:
                grads[n, t] = direction
    return grads


@pytest.mark.parametrize("target", ["predicted", "all"])
@pytest.mark.parametrize("reduction", ["l2", "sum"])
def test_penalty_equals_hand_computed_value(target, reduction):
    forbidden = np.array([[0, 1, 1, 0], [1, 0, 0, 0]], dtype=np.float32)
    _, gradients, token_mask = probabilities_and_input_gradients(MODEL, tf.constant(IDS), target)
    g = hand_gradients(target)
    np.testing.assert_allclose(gradients.numpy(), g, atol=1e-6)
    r2 = (g ** 2).sum(-1) if reduction == "l2" else g.sum(-1) ** 2
    expected = np.mean((forbidden * r2).sum(-1))
    value = input_gradient.saliency_penalty(gradients, forbidden, token_mask, reduction).numpy()
    assert value > 0
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_zero_mask_gives_zero_penalty():
    _, gradients, token_mask = probabilities_and_input_gradients(MODEL, tf.constant(IDS), "predicted")
    assert input_gradient.saliency_penalty(gradients, np.zeros(IDS.shape, np.float32), token_mask, "l2").numpy() == 0.0


def test_padding_never_contributes():
    classifier = TextClassifier(["a", "b", "c"], 2, max_tokens=6, embedding_dim=4, hidden_units=3)
    ids = tf.constant([[2, 3, 4, 0, 0, 0], [4, 0, 0, 0, 0, 0]], tf.int64)
    _, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
    padding = (ids.numpy() == 0)
    # The masked LSTM ignores padding, so its input gradient is exactly zero there ...
    assert np.all(gradients.numpy()[padding] == 0.0)
    assert np.any(gradients.numpy()[~padding] != 0.0)
    # ... and a mask that marks padding as forbidden changes nothing.
    real_only = np.zeros(ids.shape, np.float32)
    real_only[0, 1] = 1
    with_padding = real_only.copy()
    with_padding[padding] = 1
    a = input_gradient.saliency_penalty(gradients, real_only, token_mask, "l2").numpy()
    b = input_gradient.saliency_penalty(gradients, with_padding, token_mask, "l2").numpy()
    assert a > 0 and a == b
    saliency = input_gradient.saliency(gradients, token_mask, "l2").numpy()
    assert np.all(saliency[padding] == 0.0)


def test_predicted_target_is_per_example_not_batch_max():
    probabilities, gradients, token_mask = probabilities_and_input_gradients(MODEL, tf.constant(IDS), "predicted")
    predicted = np.argmax(probabilities.numpy(), axis=-1)
    assert predicted[0] != predicted[1], "the fixture must predict two different classes"
    # The original question's version: one max over the whole batch's log-probabilities.
    ids = tf.constant(IDS)
    embeddings = MODEL.embed(ids)
    with tf.GradientTape() as tape:
        tape.watch(embeddings)
        p = MODEL.classify_embeddings(embeddings, ids != 0)
        batch_max = tf.reduce_max(tf.math.log(p))
    batch_max_gradients = tape.gradient(batch_max, embeddings)
    forbidden = np.ones(IDS.shape, np.float32)
    ours = input_gradient.saliency_penalty(gradients, forbidden, token_mask, "l2").numpy()
    theirs = input_gradient.saliency_penalty(batch_max_gradients, forbidden, token_mask, "l2").numpy()
    assert abs(ours - theirs) > 1e-3
    # Each example is explained through its own predicted class; the batch max explains only one.
    per_example_norms = np.abs(gradients.numpy()).sum(axis=(1, 2))
    batch_max_norms = np.abs(batch_max_gradients.numpy()).sum(axis=(1, 2))
    assert np.all(per_example_norms > 0)
    assert np.sum(batch_max_norms > 0) == 1


# --- counterfactual penalty -------------------------------------------------------------------------

def test_kl_and_logit_pairing_see_a_flip_between_two_classes_that_sum_log_p_cannot():
    p = tf.constant([[0.9, 0.1]])
    flipped = tf.constant([[0.1, 0.9]])
    # The 'all' target sum_k log p_k is the same on both sides: a difference of it would be 0.
    np.testing.assert_allclose(input_gradient.saliency_target(p, "all").numpy(),
                               input_gradient.saliency_target(flipped, "all").numpy(), rtol=1e-6)
    kl = counterfactual.counterfactual_divergence(p, flipped, "kl").numpy()[0]
    np.testing.assert_allclose(kl, 0.9 * np.log(9) + 0.1 * np.log(1 / 9), rtol=1e-5)  # = 0.8 ln 9
    logits = counterfactual.counterfactual_divergence(p, flipped, "logit-pairing").numpy()[0]
    # centred logits: +-ln(9)/2 on each side, so each class differs by ln 9.
    np.testing.assert_allclose(logits, np.log(9) ** 2, rtol=1e-5)


def test_divergences_are_zero_for_equal_predictions_and_ignore_examples_without_counterfactual():
    p = tf.constant([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    for divergence in counterfactual.DIVERGENCES:
        np.testing.assert_allclose(counterfactual.counterfactual_divergence(p, p, divergence).numpy(), 0.0, atol=1e-6)
    q = tf.constant([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]])
    both = counterfactual.counterfactual_penalty(p, q, tf.constant([1.0, 1.0]), "kl").numpy()
    first = counterfactual.counterfactual_penalty(p, q, tf.constant([1.0, 0.0]), "kl").numpy()
    per_example = counterfactual.counterfactual_divergence(p, q, "kl").numpy()
    np.testing.assert_allclose(both, per_example.mean(), rtol=1e-6)
    np.testing.assert_allclose(first, per_example[0] / 2, rtol=1e-6)  # mean over the batch, 0 for the second
    with pytest.raises(ValueError):
        counterfactual.counterfactual_divergence(p, q, "l1")


def test_centred_logits_are_shift_free():
    logits = np.array([[2.0, -1.0, 0.5]])
    p = tf.nn.softmax(logits + 7.0)
    np.testing.assert_allclose(counterfactual.centred_logits(p).numpy(), logits - logits.mean(), atol=1e-5)


# --- integrated gradients -----------------------------------------------------------------------------

def test_integrated_gradients_completeness_on_a_closed_form_model():
    from trainer.attributions import integrated_gradients
    coarse = integrated_gradients.attribute(MODEL, tf.constant(IDS), steps=2)
    fine = integrated_gradients.attribute(MODEL, tf.constant(IDS), steps=128)
    assert np.all(np.abs(fine.completeness_gap.numpy()) < 1e-3)
    assert np.abs(coarse.completeness_gap.numpy()).max() > 10 * np.abs(fine.completeness_gap.numpy()).max()
    np.testing.assert_array_equal(fine.attributions.numpy()[IDS == 0], 0.0)
    np.testing.assert_allclose(fine.saliency.numpy(), np.abs(fine.attributions.numpy()))


def test_integrated_gradients_completeness_on_the_lstm():
    from trainer.attributions import integrated_gradients
    tf.keras.utils.set_random_seed(0)
    classifier = TextClassifier(["a", "b", "c", "d"], 3, max_tokens=5, embedding_dim=6, hidden_units=4)
    ids = tf.constant([[2, 3, 4, 5, 0], [5, 4, 0, 0, 0]])
    result = integrated_gradients.attribute(classifier, ids, steps=64)
    gap = np.abs(result.completeness_gap.numpy())
    moved = np.abs(result.attributions.numpy().sum(-1))
    assert np.all(gap < 0.02 * np.maximum(moved, 1e-3) + 1e-4), (gap, moved)


def test_penalty_terms_are_chosen_by_name_and_each_has_its_tracker():
    from trainer import penalties
    from trainer.model import RightReasonsModel
    assert penalties.PENALTIES == ("input-gradient", "counterfactual", "subspace", "both")
    assert penalties.get("counterfactual") is counterfactual.CounterfactualPenalty
    for name, entry in penalties.TERMS.items():  # the registry says what each term class says of itself
        assert (penalties.get(name).name, penalties.get(name).weight_field) == (name, entry.weight_field)
    with pytest.raises(ValueError, match="unknown penalty 'nope'"):
        penalties.get("nope")
    config = penalties.PenaltyConfig.named("both", 2.0, 0.5)
    assert (config.input_gradient_weight, config.counterfactual_weight, config.name) == \
        (2.0, 0.5, "input-gradient+counterfactual")
    model = RightReasonsModel(TextClassifier(["a", "b"], 2, max_tokens=4, embedding_dim=2, hidden_units=2), config)
    assert sorted(model.term_trackers) == ["counterfactual_loss", "saliency_loss", "subspace_loss"]
    assert {t.name for t in model.term_trackers.values()} <= {m.name for m in model.metrics}


def test_the_subspace_is_the_listed_embeddings_top_principal_directions_and_projection_removes_it():
    from trainer.penalties.subspace import listed_subspace, project_off
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(30, 6)).astype(np.float32)
    listed = np.array([3, 7, 11, 12])
    basis = listed_subspace(tf.constant(matrix), tf.constant(listed), rank=2).numpy()
    assert basis.shape == (6, 2)
    np.testing.assert_allclose(basis.T @ basis, np.eye(2), atol=1e-5)
    centred = matrix[listed] - matrix.mean(axis=0)
    top = np.linalg.svd(centred)[2][:2].T  # numpy's top two right singular vectors span the same plane
    np.testing.assert_allclose(np.linalg.svd(top.T @ basis)[1], [1.0, 1.0], atol=1e-5)  # same plane
    embeddings = tf.constant(rng.normal(size=(2, 3, 6)).astype(np.float32))
    projected = project_off(embeddings, tf.constant(basis)).numpy()
    np.testing.assert_allclose(projected @ basis, 0.0, atol=1e-5)  # nothing left along the subspace
    np.testing.assert_allclose(projected + (embeddings.numpy() @ basis) @ basis.T, embeddings.numpy(), atol=1e-5)
    assert listed_subspace(tf.constant(matrix), tf.constant(listed), rank=50).shape == (6, 4)  # at most K


def test_the_subspace_penalty_is_the_divergence_to_the_projected_prediction():
    """With the subspace spanning the whole embedding space, every token projects to 0: the term is the mean KL
    between p(x) and the prediction on zero embeddings, by hand on the closed-form model."""
    from trainer.penalties import PenaltyConfig
    from trainer.penalties.base import ForwardPass
    from trainer.penalties.subspace import SubspacePenalty

    class Classifier(BagOfEmbeddings):
        embedding = type("Embedding", (), {"embeddings": tf.constant(TABLE, tf.float32)})()

    model = Classifier(TABLE, WEIGHTS)
    ids = tf.constant(IDS)
    real = tf.cast(ids != 0, tf.float32)
    p = model.classify_embeddings(model.embed(ids), ids != 0).numpy()
    forward = ForwardPass(model, {"ids": ids}, False, tf.constant(p), tf.zeros_like(real), real,
                          tf.zeros(len(IDS)))
    term = SubspacePenalty(PenaltyConfig(subspace_weight=1.0, subspace_rank=2, divergence="kl"), listed_ids=[1, 2, 3])
    q = np.full(3, 1 / 3)  # softmax of zero logits
    expected = np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=-1))
    assert float(term.call(forward)) == pytest.approx(expected, rel=1e-5)
    assert float(SubspacePenalty(PenaltyConfig(subspace_weight=1.0), listed_ids=[]).call(forward)) == 0.0


def test_training_hands_the_listed_token_ids_to_the_penalty(tmp_path):
    from saliency_core.lexicon import Lexicon
    from trainer.corpus import Corpus
    from trainer.penalties import PenaltyConfig
    from trainer.train import FitSettings, ModelSettings, TrainingData, fit, prepare
    texts = ["good gay film", "bad straight film", "good film", "bad film"] * 4
    data = TrainingData(Corpus(texts, ["1", "0", "1", "0"] * 4), None, ["0", "1"], Lexicon.from_entries(["gay"]))
    prepared = prepare(data, ModelSettings(max_tokens=6, vocabulary_size=20, embedding_dim=4, hidden_units=3))
    model, _ = fit(prepared.classifier, prepared.train_examples,
                   FitSettings(PenaltyConfig(subspace_weight=1.0, subspace_rank=1), epochs=1, batch_size=8), verbose=0)
    vocabulary = prepared.classifier.lookup.get_vocabulary()
    terms = {term.name: term for term in model.penalty.terms}
    assert [vocabulary[i] for i in terms["subspace"].listed_ids] == ["gay"]
