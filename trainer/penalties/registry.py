"""Every penalty term by name, in the order they are logged and named ('input-gradient+counterfactual').

Declared without importing the terms (they import TensorFlow), so that the command line and PenaltyConfig know
every penalty's name and weight field and still start fast; ``term_class`` imports a term when training needs it.
"""

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class TermEntry:
    weight_field: str  # the PenaltyConfig field holding the term's weight
    module: str
    class_name: str


TERMS = {
    "input-gradient": TermEntry("input_gradient_weight", "trainer.penalties.input_gradient", "InputGradientPenalty"),
    "counterfactual": TermEntry("counterfactual_weight", "trainer.penalties.counterfactual", "CounterfactualPenalty"),
    "subspace": TermEntry("subspace_weight", "trainer.penalties.subspace", "SubspacePenalty"),
}


def term_class(name: str):
    """The PenaltyTerm class registered under ``name`` (as keras.losses.get); ValueError for an unknown name."""
    try:
        entry = TERMS[name]
    except KeyError:
        raise ValueError(f"unknown penalty {name!r}; known: {sorted(TERMS)}") from None
    return getattr(importlib.import_module(entry.module), entry.class_name)
