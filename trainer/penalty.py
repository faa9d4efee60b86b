"""The penalties on forbidden tokens as pure tensor maths.

Two penalties:
- input gradient: the "right for the right reasons" penalty (Ross, Hughes, Doshi-Velez 2017) on the
  squared gradient of the target w.r.t. the embeddings of forbidden tokens;
- counterfactual: a divergence between the prediction on x and on a counterfactual x' (x with its
  forbidden tokens removed, or with a term replaced by a substitute), as in counterfactual logit
  pairing (Garg et al. 2019) and TF Model Remediation's CounterfactualModel. The input-gradient penalty
  can be gamed by an LSTM (the word's embedding grows, the gates saturate, the gradient there vanishes
  while the word still decides: benchmarks/results/decoy_diagnosis.md); a difference in the prediction
  itself cannot be hidden that way.

Shapes: B = batch, T = tokens, E = embedding size, C = classes.
No I/O, no state, no Keras: every function maps tensors to tensors.
"""

import tensorflow as tf

TARGETS = ("predicted", "all")
REDUCTIONS = ("l2", "sum")
DIVERGENCES = ("kl", "logit-pairing")
_EPSILON = 1e-7


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
