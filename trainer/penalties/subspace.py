"""The subspace penalty: the prediction must not change when every token's embedding loses its component along the
directions the listed terms span, so that unlisted words whose embeddings share those directions (identity terms
the lexicon missed, with embeddings started from word2vec: --word-vectors word2vec) are reached too.

It follows projection methods (Bolukbasi et al. 2016's bias subspace, INLP's nullspace projection of Ravfogel et
al. 2020) with counterfactual logit pairing's divergence (Garg et al. 2019): the subspace is the top ``rank``
principal directions of the listed tokens' embeddings, centred on the vocabulary's mean embedding, recomputed from
the current embeddings at each step (no gradient through it); the counterfactual is every real token of every
example projected off it. Shapes: B = batch, T = tokens, E = embedding size, C = classes, K = listed tokens.
"""

import tensorflow as tf

from trainer.penalties.base import ForwardPass, PenaltyTerm
from trainer.penalties.counterfactual import counterfactual_divergence


def listed_subspace(embedding_matrix, listed_ids, rank):
    """An orthonormal basis float [E, r] (r = min(rank, K, E)) of the top principal directions of the listed
    tokens' embeddings, centred on the mean embedding. embedding_matrix float [V, E]; listed_ids int [K]."""
    listed = tf.gather(embedding_matrix, listed_ids)
    centred = tf.stop_gradient(listed - tf.reduce_mean(embedding_matrix, axis=0, keepdims=True))
    _, _, directions = tf.linalg.svd(centred)  # [E, min(K, E)], by singular value
    return directions[:, : min(rank, int(listed_ids.shape[0]), int(embedding_matrix.shape[1]))]


def project_off(embeddings, basis):
    """embeddings float [B, T, E] without their component in the span of basis float [E, r]."""
    return embeddings - tf.einsum("btr,er->bte", tf.einsum("bte,er->btr", embeddings, basis), basis)


class SubspacePenalty(PenaltyTerm):
    """mean_n D(p(x_n), p(x_n with every token projected off the listed terms' subspace))."""

    name = "subspace"
    tracker = "subspace_loss"
    weight_field = "subspace_weight"

    def call(self, forward: ForwardPass) -> tf.Tensor:
        if not len(self.listed_ids):
            return tf.constant(0.0)
        classifier = forward.classifier
        listed = tf.constant(self.listed_ids)
        basis = listed_subspace(classifier.embedding.embeddings, listed, self.config.subspace_rank)
        projected = project_off(classifier.embed(forward.inputs["ids"]), basis)
        counterfactual = classifier.classify_embeddings(projected, forward.real > 0.5, training=forward.training)
        # Every example has its counterfactual: the mean divergence over the batch.
        return tf.reduce_mean(counterfactual_divergence(forward.probabilities, counterfactual, self.config.divergence))
