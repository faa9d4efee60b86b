"""Gradient saliency: r(dlog p_predicted / de_t), the explanation of Ross et al. (2017) and the input-gradient penalty's quantity."""

from trainer.attributions import Attribution
from trainer.penalties import input_gradient
from trainer.penalties.input_gradient import probabilities_and_input_gradients


def attribute(classifier, ids, reduction="l2"):
    """ids int [B, T] -> Attribution with saliency float [B, T] = r(g) of the predicted class."""
    probabilities, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
    return Attribution(probabilities, input_gradient.saliency(gradients, token_mask, reduction))
