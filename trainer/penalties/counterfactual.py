"""The counterfactual penalty: a divergence between the prediction on x and on a counterfactual x' (x with its
forbidden tokens removed, or with a term replaced by a substitute), as in counterfactual logit pairing (Garg et al.
2019) and TF Model Remediation's CounterfactualModel. A difference in the prediction itself cannot be hidden the way
an input gradient can. Shapes: B = batch, C = classes.
"""

import tensorflow as tf

from trainer.penalties.base import ForwardPass, PenaltyTerm
from trainer.penalties.config import DIVERGENCES

_EPSILON = 1e-7


def centred_logits(probabilities):
    """Logits recovered from a softmax output, with the per-example shift removed.

    Softmax forgets a constant added to every logit, so log p - mean_k log p is the one logit vector
    that both sides of a pair can be compared on. probabilities float [B, C] -> float [B, C].
    """
    log_probabilities = tf.math.log(tf.clip_by_value(probabilities, _EPSILON, 1.0))
    return log_probabilities - tf.reduce_mean(log_probabilities, axis=-1, keepdims=True)


def counterfactual_divergence(probabilities, counterfactual_probabilities, divergence):
    """Per-example divergence between the predictions on x and on its counterfactual x'.

    probabilities, counterfactual_probabilities: float [B, C].
    'kl': KL(p(x) || p(x')) = sum_k p_k (log p_k - log p'_k); it sees a flip between any two classes
          (unlike a difference of sum_k log p_k, which can stay 0 when two classes swap).
    'logit-pairing': mean_k (l_k - l'_k)^2 on centred logits (Garg et al. 2019 pair logits; squared, so
          that the penalty is smooth at 0).
    Returns float [B], >= 0, 0 where the two predictions are equal.
    """
    if divergence == "kl":
        p = tf.clip_by_value(probabilities, _EPSILON, 1.0)
        q = tf.clip_by_value(counterfactual_probabilities, _EPSILON, 1.0)
        return tf.reduce_sum(p * (tf.math.log(p) - tf.math.log(q)), axis=-1)
    if divergence == "logit-pairing":
        difference = centred_logits(probabilities) - centred_logits(counterfactual_probabilities)
        return tf.reduce_mean(tf.square(difference), axis=-1)
    raise ValueError(f"divergence must be one of {DIVERGENCES}, got {divergence!r}")


def counterfactual_penalty(probabilities, counterfactual_probabilities, has_counterfactual, divergence):
    """mean_n c_n * D(p(x_n), p(x'_n)): examples without a counterfactual (c_n = 0) add 0.

    probabilities, counterfactual_probabilities: float [B, C]; has_counterfactual: float [B].
    Returns a float scalar.
    """
    per_example = counterfactual_divergence(probabilities, counterfactual_probabilities, divergence)
    return tf.reduce_mean(per_example * tf.cast(has_counterfactual, per_example.dtype))


class CounterfactualPenalty(PenaltyTerm):
    """mean_n D(p(x_n), p(x_n without its forbidden tokens)), plus the same divergence to a substitute where
    substitution groups are given."""

    name = "counterfactual"
    tracker = "counterfactual_loss"
    weight_field = "counterfactual_weight"
    needs_removal = True

    def call(self, forward: ForwardPass) -> tf.Tensor:
        divergence = self.config.divergence
        loss = counterfactual_penalty(forward.probabilities, forward.removed, forward.has_forbidden, divergence)
        inputs = forward.inputs
        if "substituted_ids" in inputs:
            substituted = forward.classifier(inputs["substituted_ids"], training=forward.training)
            loss += counterfactual_penalty(forward.probabilities, substituted, inputs["has_substitute"], divergence)
        return loss
