"""Run by the full install for tests_light: write the example corpus and export a tiny model under OUT.

    python tests_light/export_tiny_model.py OUT
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saliency_demo import example_data  # noqa: E402
from trainer.penalties import PenaltyConfig  # noqa: E402
from trainer.train import DataSources, ExportSettings, FitSettings, ModelSettings, train_from_files  # noqa: E402


def main(out):
    paths = example_data.write_example_corpus(os.path.join(out, "data"), seed=3, train_rows=400, test_rows=60)
    result = train_from_files(paths["train"], DataSources(forbidden_path=paths["forbidden"]),
                              ModelSettings(max_tokens=12, vocabulary_size=60, embedding_dim=8, hidden_units=8),
                              FitSettings(PenaltyConfig(counterfactual_weight=1.0), epochs=1, batch_size=32, seed=1),
                              ExportSettings(os.path.join(out, "models"), "tiny", integrated_gradients_steps=4),
                              verbose=0)
    print(json.dumps({"export_path": result.export_path, **paths}))


if __name__ == "__main__":
    main(sys.argv[1])
