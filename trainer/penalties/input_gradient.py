"""The input-gradient penalty: "right for the right reasons" (Ross, Hughes, Doshi-Velez 2017), the squared gradient
of the target w.r.t. the embeddings of forbidden tokens.

An LSTM can game it (the word's embedding grows, the gates saturate, the gradient there vanishes while the word
still decides: benchmarks/results/decoy_diagnosis.md), so it is offered with the counterfactual penalty, not as
the default. Shapes: B = batch, T = tokens, E = embedding size, C = classes.
"""

import tensorflow as tf

from trainer.penalties.base import PADDING_ID, ForwardPass, PenaltyTerm
from trainer.penalties.config import REDUCTIONS, TARGETS


def saliency_target(probabilities, target):
    """T(p): the scalar per example whose input gradient is the saliency.

    probabilities: float [B, C] (softmax output).
    target: 'predicted' -> log p of each example's own argmax class;
            'all' -> sum_k log p_k (Ross et al.'s default).
    Returns float [B].
    """
    log_probabilities = tf.math.log(tf.clip_by_value(probabilities, 1e-12, 1.0))
    if target == "predicted":
        predicted = tf.argmax(probabilities, axis=-1)
        return tf.gather(log_probabilities, predicted, axis=-1, batch_dims=1)
    if target == "all":
        return tf.reduce_sum(log_probabilities, axis=-1)
    raise ValueError(f"target must be one of {TARGETS}, got {target!r}")


def squared_saliency(gradients, reduction):
    """r(g)^2 per token. gradients: float [B, T, E]. Returns float [B, T].

    'l2' gives ||g||_2^2 directly (no sqrt, so the second derivative stays finite at g = 0);
    'sum' gives (sum_d g)^2, where dimensions can cancel.
    """
    if reduction == "l2":
        return tf.reduce_sum(tf.square(gradients), axis=-1)
    if reduction == "sum":
        return tf.square(tf.reduce_sum(gradients, axis=-1))
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def saliency(gradients, token_mask, reduction):
    """Per-token saliency r(g) >= 0, zero on padding.

    gradients: float [B, T, E]; token_mask: float [B, T], 1 on real tokens.
    For 'sum', the magnitude |sum_d g| is reported so that saliency is a non-negative mass.
    Returns float [B, T].
    """
    if reduction == "l2":
        magnitude = tf.norm(gradients, axis=-1)
    elif reduction == "sum":
        magnitude = tf.abs(tf.reduce_sum(gradients, axis=-1))
    else:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return magnitude * tf.cast(token_mask, magnitude.dtype)


def saliency_penalty(gradients, forbidden_mask, token_mask, reduction):
    """mean_n sum_t m_nt * r(g_nt)^2, with padding never counted.

    gradients: float [B, T, E]; forbidden_mask, token_mask: float [B, T].
    Returns a float scalar.
    """
    weights = tf.cast(forbidden_mask, gradients.dtype) * tf.cast(token_mask, gradients.dtype)
    per_example = tf.reduce_sum(weights * squared_saliency(gradients, reduction), axis=-1)
    return tf.reduce_mean(per_example)


def probabilities_and_input_gradients(classifier, ids, target, training=False):
    """Forward pass plus g = dT(p)/de, the gradient of the target w.r.t. the embedding output.

    ids int [B, T] -> (probabilities float [B, C], gradients float [B, T, E], token_mask float [B, T]).
    Called inside an outer GradientTape, the gradient computation is itself recorded, which is
    what lets the penalty on g be differentiated (double backprop).
    """
    token_mask = ids != PADDING_ID
    embeddings = classifier.embed(ids)
    with tf.GradientTape() as inner_tape:
        inner_tape.watch(embeddings)
        probabilities = classifier.classify_embeddings(embeddings, token_mask, training=training)
        target_value = saliency_target(probabilities, target)
    gradients = inner_tape.gradient(target_value, embeddings)
    return probabilities, gradients, tf.cast(token_mask, gradients.dtype)


class InputGradientPenalty(PenaltyTerm):
    """mean_n sum_t m_nt r(g_nt)^2 over the forbidden tokens' embedding gradients (double backprop)."""

    name = "input-gradient"
    tracker = "saliency_loss"
    weight_field = "input_gradient_weight"
    needs_gradients = True

    def call(self, forward: ForwardPass) -> tf.Tensor:
        return saliency_penalty(forward.gradients, forward.forbidden, forward.real, self.config.reduction)
