"""Gradient saliency: r(dlog p_predicted / de_t), the seed's explanation and the training penalty's quantity."""

from trainer import penalty
from trainer.attributions import Attribution
from trainer.penalty_loss import probabilities_and_input_gradients


def attribute(classifier, ids, reduction="l2"):
    """ids int [B, T] -> Attribution with saliency float [B, T] = r(g) of the predicted class."""
    probabilities, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
    return Attribution(probabilities, penalty.saliency(gradients, token_mask, reduction))
