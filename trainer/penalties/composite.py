"""All the penalty terms of one training run over one shared forward pass (the MinDiffLoss pattern of TF Model
Remediation): ``ForbiddenTokenPenalty(config)(classifier, inputs, training)`` returns the classifier's
probabilities and every term's value; ``RightReasonsModel`` adds the weighted terms to its one loss.

Shapes: B = batch, T = max tokens, E = embedding size, C = classes.
"""

import tensorflow as tf

from trainer.penalties.base import PADDING_ID, ForwardPass
from trainer.penalties.input_gradient import probabilities_and_input_gradients
from trainer.penalties.registry import TERMS, term_class


class ForbiddenTokenPenalty:
    """inputs: {"ids": int [B, T], "forbidden_mask": float [B, T], optionally "substituted_ids": int [B, T] and
    "has_substitute": float [B]}. Returns (probabilities float [B, C], {tracker name: scalar}).

    Removal is exact through the LSTM mask: forbidden positions are masked out, so the recurrent state carries
    over them as if the tokens were not in the text (the audit's reliance check removes the same tokens from the
    text itself).
    """

    def __init__(self, config, listed_ids=()):
        self.config = config
        self.terms = [term_class(name)(config, listed_ids) for name in TERMS]

    def __call__(self, classifier, inputs, training=False, measure_all=False):
        """With ``measure_all``, every term is computed (for the logs) even when its weight is 0."""
        terms = [term for term in self.terms if term.weight > 0 or measure_all]
        ids = inputs["ids"]
        forbidden = tf.cast(inputs["forbidden_mask"], tf.float32)
        token_mask = ids != PADDING_ID
        kept = tf.logical_and(token_mask, forbidden < 0.5)
        gradients = removed = None
        if any(term.needs_gradients for term in terms):
            probabilities, gradients, _ = probabilities_and_input_gradients(
                classifier, ids, self.config.target, training=training
            )
        elif any(term.needs_removal for term in terms):
            # x and x without its forbidden tokens in one pass of 2B rows: one recurrent loop instead of two.
            embeddings = classifier.embed(ids)
            both = classifier.classify_embeddings(
                tf.concat([embeddings, embeddings], 0), tf.concat([token_mask, kept], 0), training=training
            )
            probabilities, removed = tf.split(both, 2, axis=0)
        else:
            probabilities = classifier.classify_embeddings(classifier.embed(ids), token_mask, training=training)
        if removed is None and any(term.needs_removal for term in terms):
            removed = classifier.classify_embeddings(classifier.embed(ids), kept, training=training)
        has_forbidden = tf.cast(tf.reduce_any(tf.logical_and(token_mask, forbidden >= 0.5), axis=-1), tf.float32)
        forward = ForwardPass(classifier, inputs, training, probabilities, forbidden,
                              tf.cast(token_mask, tf.float32), has_forbidden, gradients, removed)
        return probabilities, {term.tracker: term.call(forward) for term in terms}

    def total(self, values):
        """sum_i lambda_i * term_i over the terms whose weight is > 0 (a scalar, 0.0 when none)."""
        total = 0.0
        for term in self.terms:
            if term.weight > 0:
                total += term.weight * values[term.tracker]
        return total
