"""Integrated gradients over the embedding path (Sundararajan et al. 2017), all steps in one batched pass.

a_t = sum_d e_td * mean_k df(alpha_k * e) / de_td with a zero-embedding baseline and alpha_k the midpoints
(k + 0.5) / m of m equal steps, f = p(predicted class of x). Completeness says sum_t a_t = f(x) - f(0);
the gap to it is returned per document, so a user sees when m is too small (captum reports the same
"convergence delta").

Unlike the input gradient, this integrates along the path from the baseline, so a token whose embedding
saturates the LSTM gates (tiny local gradient, decisive effect) still gets the attribution of its effect.
"""

import tensorflow as tf

from trainer.attributions import Attribution
from trainer.penalties.base import PADDING_ID
from trainer.settings import DEFAULT_INTEGRATED_GRADIENTS_STEPS

DEFAULT_STEPS = DEFAULT_INTEGRATED_GRADIENTS_STEPS


def attribute(classifier, ids, steps=DEFAULT_STEPS):
    """ids int [B, T] -> Attribution; attributions float [B, T] signed, saliency = |attributions|.

    Memory: the path batch is [steps * B, T, E].
    """
    token_mask = ids != PADDING_ID
    embeddings = classifier.embed(ids)  # [B, T, E]
    probabilities = classifier.classify_embeddings(embeddings, token_mask)
    predicted = tf.argmax(probabilities, axis=-1)  # [B]
    batch = tf.shape(ids)[0]
    alphas = (tf.range(steps, dtype=embeddings.dtype) + 0.5) / steps  # [m]
    path = alphas[:, None, None, None] * embeddings[None]  # [m, B, T, E]
    path = tf.reshape(path, tf.concat([[steps * batch], tf.shape(embeddings)[1:]], axis=0))
    path_mask = tf.tile(token_mask, [steps, 1])
    path_class = tf.tile(predicted, [steps])
    with tf.GradientTape() as tape:
        tape.watch(path)
        path_probabilities = classifier.classify_embeddings(path, path_mask)
        target = tf.gather(path_probabilities, path_class, axis=-1, batch_dims=1)  # [m * B]
    gradients = tape.gradient(target, path)
    mean_gradients = tf.reduce_mean(tf.reshape(gradients, tf.concat([[steps], tf.shape(embeddings)], 0)), axis=0)
    real = tf.cast(token_mask, embeddings.dtype)
    attributions = tf.reduce_sum(embeddings * mean_gradients, axis=-1) * real  # [B, T]
    baseline_probabilities = classifier.classify_embeddings(tf.zeros_like(embeddings), token_mask)
    f_x = tf.gather(probabilities, predicted, axis=-1, batch_dims=1)
    f_baseline = tf.gather(baseline_probabilities, predicted, axis=-1, batch_dims=1)
    gap = tf.reduce_sum(attributions, axis=-1) - (f_x - f_baseline)
    return Attribution(probabilities, tf.abs(attributions), attributions, gap)
