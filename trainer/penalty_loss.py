"""The training penalty as one object with a config (the MinDiffLoss pattern of TF Model Remediation).

``ForbiddenTokenPenalty(config)(classifier, inputs, training)`` runs the classifier and returns its
probabilities and every penalty term; ``RightReasonsModel`` adds the weighted terms to its one loss.
The maths lives in ``trainer.penalty``; this module only wires it to the classifier.

Shapes: B = batch, T = max tokens, E = embedding size, C = classes.
"""

import dataclasses

import tensorflow as tf

from trainer import penalty

PADDING_ID = 0
PENALTIES = ("input-gradient", "counterfactual", "both")


@dataclasses.dataclass(frozen=True)
class PenaltyConfig:
    """What the penalty on forbidden tokens is; recorded in the export metadata.

    input_gradient_weight: lambda of the seed's penalty, mean_n sum_t m_nt ||dT(p)/de_nt||^2.
    counterfactual_weight: lambda_cf of mean_n D(p(x_n), p(x_n without its forbidden tokens)), plus the
        same divergence to a substitute where substitution groups are given.
    target, reduction: T(p) and r(g) of the input-gradient penalty (DESIGN.md).
    divergence: D of the counterfactual penalty, 'kl' or 'logit-pairing'.
    """
    input_gradient_weight: float = 0.0
    counterfactual_weight: float = 0.0
    target: str = "predicted"
    reduction: str = "l2"
    divergence: str = "logit-pairing"

    def __post_init__(self):
        if self.target not in penalty.TARGETS:
            raise ValueError(f"target must be one of {penalty.TARGETS}")
        if self.reduction not in penalty.REDUCTIONS:
            raise ValueError(f"reduction must be one of {penalty.REDUCTIONS}")
        if self.divergence not in penalty.DIVERGENCES:
            raise ValueError(f"divergence must be one of {penalty.DIVERGENCES}")
        if not (self.input_gradient_weight >= 0 and self.counterfactual_weight >= 0):
            raise ValueError("penalty weights must be >= 0")

    @classmethod
    def named(cls, name: str, weight: float, counterfactual_weight: float | None = None, **kwargs) -> "PenaltyConfig":
        """The CLI's form: --penalty NAME --penalty-weight W [--counterfactual-weight W_cf] (with 'both')."""
        if name not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}")
        if name == "input-gradient":
            return cls(input_gradient_weight=weight, **kwargs)
        if name == "counterfactual":
            return cls(counterfactual_weight=weight, **kwargs)
        return cls(input_gradient_weight=weight,
                   counterfactual_weight=weight if counterfactual_weight is None else counterfactual_weight,
                   **kwargs)

    @property
    def active(self) -> bool:
        return self.input_gradient_weight > 0 or self.counterfactual_weight > 0

    @property
    def name(self) -> str:
        terms = [n for n, w in (("input-gradient", self.input_gradient_weight),
                                ("counterfactual", self.counterfactual_weight)) if w > 0]
        return "+".join(terms) or "none"


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
        target_value = penalty.saliency_target(probabilities, target)
    gradients = inner_tape.gradient(target_value, embeddings)
    return probabilities, gradients, tf.cast(token_mask, gradients.dtype)


class ForbiddenTokenPenalty:
    """Computes the classifier's probabilities and the penalty terms for one batch.

    inputs: {"ids": int [B, T], "forbidden_mask": float [B, T],
             optionally "substituted_ids": int [B, T] and "has_substitute": float [B]}.
    Returns (probabilities float [B, C], {"saliency_loss": scalar, "counterfactual_loss": scalar}).

    Removal is exact through the LSTM mask: forbidden positions are masked out, so the recurrent state
    carries over them as if the tokens were not in the text (the audit's occlusion removes the same
    tokens from the text itself).
    """

    def __init__(self, config: PenaltyConfig):
        self.config = config

    def __call__(self, classifier, inputs, training=False, measure_all=False):
        """With ``measure_all``, every term is computed (for the logs) even when its weight is 0."""
        config = self.config
        ids = inputs["ids"]
        forbidden = tf.cast(inputs["forbidden_mask"], tf.float32)
        token_mask = ids != PADDING_ID
        terms = {}
        counterfactual = config.counterfactual_weight > 0 or measure_all
        kept = tf.logical_and(token_mask, forbidden < 0.5)
        removed = None
        if config.input_gradient_weight > 0 or measure_all:
            probabilities, gradients, real = probabilities_and_input_gradients(
                classifier, ids, config.target, training=training)
            terms["saliency_loss"] = penalty.saliency_penalty(gradients, forbidden, real, config.reduction)
        elif counterfactual:
            # x and x without its forbidden tokens in one pass of 2B rows: one recurrent loop instead of two.
            embeddings = classifier.embed(ids)
            both = classifier.classify_embeddings(tf.concat([embeddings, embeddings], 0),
                                                  tf.concat([token_mask, kept], 0), training=training)
            probabilities, removed = tf.split(both, 2, axis=0)
        else:
            probabilities = classifier.classify_embeddings(classifier.embed(ids), token_mask, training=training)
        if counterfactual:
            if removed is None:
                removed = classifier.classify_embeddings(classifier.embed(ids), kept, training=training)
            has_forbidden = tf.cast(tf.reduce_any(tf.logical_and(token_mask, forbidden >= 0.5), axis=-1),
                                    tf.float32)
            loss = penalty.counterfactual_penalty(probabilities, removed, has_forbidden, config.divergence)
            if "substituted_ids" in inputs:
                substituted = classifier(inputs["substituted_ids"], training=training)
                loss += penalty.counterfactual_penalty(probabilities, substituted, inputs["has_substitute"],
                                                       config.divergence)
            terms["counterfactual_loss"] = loss
        return probabilities, terms

    def total(self, terms):
        """sum_i lambda_i * term_i over the terms whose weight is > 0 (a scalar, 0.0 when none)."""
        total = 0.0
        if self.config.input_gradient_weight > 0:
            total += self.config.input_gradient_weight * terms["saliency_loss"]
        if self.config.counterfactual_weight > 0:
            total += self.config.counterfactual_weight * terms["counterfactual_loss"]
        return total
