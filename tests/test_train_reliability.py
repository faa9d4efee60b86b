import os
import re

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import tiny_model_settings

from serving.session_model import SessionModel
from trainer.cli import main as audit_train
from trainer.penalties import PenaltyConfig
from trainer.train import DataSources, ExportSettings, FitSettings, train_from_files

TEXTS = ["a clever wonderful film", "text is here"]


def train(paths, export_dir, **fit):
    settings = dict(penalty=PenaltyConfig(input_gradient_weight=1.0), epochs=1, batch_size=32, seed=5)
    settings.update(fit)
    return train_from_files(paths["train"], DataSources(forbidden_path=paths["forbidden"]), tiny_model_settings(),
                            FitSettings(**settings), ExportSettings(str(export_dir), "m"), verbose=0)


@pytest.mark.slow
def test_same_seed_same_model(example_paths, tmp_path):
    a = SessionModel(train(example_paths, tmp_path / "a").export_path).explain(TEXTS)
    b = SessionModel(train(example_paths, tmp_path / "b").export_path).explain(TEXTS)
    c = SessionModel(train(example_paths, tmp_path / "c", seed=6).export_path).explain(TEXTS)
    for name in ("probabilities", "saliency"):
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["probabilities"], c["probabilities"])


def test_non_finite_loss_stops_with_lambda_and_step(example_paths, tmp_path):
    result = CliRunner().invoke(audit_train, [
        "train", example_paths["train"], "--forbidden", example_paths["forbidden"], "--penalty-weight", "1e38",
        "--max-tokens", "12", "--vocabulary-size", "60", "--embedding-dim", "8", "--hidden-units", "8",
        "--epochs", "1", "--verbose", "0", "--export-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert re.search(r"loss became (nan|inf) at epoch 1, step \d+ with penalty counterfactual .*counterfactual "
                     r"lambda=1e\+38", result.output)
    assert "Traceback" not in result.output
    assert not os.path.exists(tmp_path / "saliency_classifier" / "1")


class StopAfterEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_training_resumes_from_its_last_checkpoint(example_paths, tmp_path, monkeypatch):
    import trainer.train as train_module
    checkpoint = tmp_path / "ckpt"
    original_fit = train_module.fit
    monkeypatch.setattr(train_module, "fit", lambda *a, **k: original_fit(
        *a[:5], [*a[5], StopAfterEpoch()]) if len(a) > 5 else original_fit(*a, **k))
    with pytest.raises(KeyboardInterrupt):
        train_from_files(example_paths["train"], DataSources(forbidden_path=example_paths["forbidden"]), tiny_model_settings(),
                         FitSettings(PenaltyConfig(input_gradient_weight=1.0), epochs=4, seed=5),
                         ExportSettings(str(tmp_path), "m"), verbose=0, checkpoint_dir=str(checkpoint))
    assert os.listdir(checkpoint)
    monkeypatch.setattr(train_module, "fit", original_fit)
    epochs_run = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs_run.append(epoch)

    monkeypatch.setattr(train_module, "fit", lambda *a, **k: original_fit(*a[:5], [*a[5], Count()]))
    result = train_from_files(example_paths["train"], DataSources(forbidden_path=example_paths["forbidden"]),
                              tiny_model_settings(), FitSettings(PenaltyConfig(input_gradient_weight=1.0), epochs=4, seed=5),
                              ExportSettings(str(tmp_path), "m"), verbose=0, checkpoint_dir=str(checkpoint))
    assert epochs_run == [2, 3]  # epochs 0 and 1 were done before the interruption
    assert result.export_path.endswith(os.path.join("m", "1"))
