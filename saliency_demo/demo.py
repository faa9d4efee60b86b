"""The demo: generated decoy corpus -> vanilla and penalised models -> exports -> audit of both."""

import os

from audit_engine.backends.embedded import EmbeddedBackend
from audit_engine.evaluations import AuditInputs
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from saliency_core.lexicon import load_lexicon
from saliency_demo import example_data
from trainer.penalties import PenaltyConfig
from trainer.train import DataSources, ExportSettings, FitSettings, ModelSettings, train_from_files

DEMO_MODEL_SETTINGS = ModelSettings(max_tokens=24, vocabulary_size=200, embedding_dim=16, hidden_units=16)


def demo_models(input_gradient_weight=100.0, counterfactual_weight=10.0):
    """The three models the demo contrasts: no penalty, the input-gradient penalty, the counterfactual one."""
    return {"decoy_vanilla": PenaltyConfig(),
            "decoy_input_gradient": PenaltyConfig(input_gradient_weight=input_gradient_weight, target="all"),
            "decoy_counterfactual": PenaltyConfig(counterfactual_weight=counterfactual_weight)}


def run_demo(out_dir, input_gradient_weight=100.0, counterfactual_weight=10.0, epochs=6, seed=0, echo=print):
    paths = example_data.write_example_corpus(os.path.join(out_dir, "data"), seed=seed + 7)
    echo(f"generated example data (not real reviews) in {os.path.dirname(paths['train'])}")
    models_dir = os.path.join(out_dir, "models")
    exports = {}
    for name, penalty in demo_models(input_gradient_weight, counterfactual_weight).items():
        echo(f"training {name} (penalty {penalty.name}, input-gradient lambda {penalty.input_gradient_weight:g}, "
             f"counterfactual lambda {penalty.counterfactual_weight:g})")
        result = train_from_files(
            paths["train"], DataSources(validation_fraction=0.1, forbidden_path=paths["forbidden"]),
            DEMO_MODEL_SETTINGS, FitSettings(penalty, epochs=epochs, batch_size=32, learning_rate=2e-3, seed=seed),
            ExportSettings(models_dir, name), verbose=0)
        exports[name] = result.export_path
        echo(f"  exported {result.export_path}")
    lexicon = load_lexicon(paths["forbidden"])
    rows = []
    for name, export_path in exports.items():
        backend = EmbeddedBackend(export_path)
        try:
            figures = {}
            for split in ("test_clean", "test_decoy"):
                summary, _ = audit_corpus(
                    paths[split], backend, os.path.join(out_dir, "audit", name, split),
                    AuditOptions(id_column="id", label_column="label"), AuditInputs(lexicon))
                figures[split] = summary
        finally:
            backend.close()
        decoy = figures["test_decoy"]
        rows.append((name, decoy.reliance_flip_fraction, decoy.mean_reliance_drop, figures["test_clean"].accuracy,
                     decoy.accuracy, decoy.share_distribution.mean))
    echo("")
    echo(f"{'model':<22}{'flips w/o decoy':>16}{'mean drop':>11}{'acc clean':>11}{'acc decoy':>11}"
         f"{'gradient share':>16}")
    for name, flips, drop, clean, decoy, share in rows:
        echo(f"{name:<22}{flips:>16.3f}{drop:>11.3f}{clean:>11.3f}{decoy:>11.3f}{share:>16.3f}")
    echo("Reliance first: flips w/o decoy = fraction of predictions on decoy test text that change when the decoy is "
         "removed; mean drop = mean fall of p(predicted). acc clean: accuracy on decoy-free test text; acc decoy: "
         "on test text with a decoy at random; gradient share = the decoy's part of the gradient saliency (a "
         "second view, which the input-gradient penalty drives to ~0 without removing the reliance).")
    return exports, rows
