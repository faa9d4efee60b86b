import json
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from saliency_core import contract
from serving.session_model import SessionModel
from trainer.export import next_version
from trainer.penalties import PenaltyConfig, input_gradient
from trainer.penalties.input_gradient import probabilities_and_input_gradients

TEXTS = ["the film is truly wonderful text overall", "Zorblax QUIXOTIC, the plot is dull!",
         "one two three four five six seven eight nine ten eleven twelve thirteen fourteen", ""]


def in_training_outputs(classifier):
    tokens, token_count, _, ids = classifier.encode(tf.constant(TEXTS))
    probabilities, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
    return probabilities.numpy(), input_gradient.saliency(gradients, token_mask, "l2").numpy(), tokens.numpy()


def test_session_loader_eager_and_in_training_agree(tiny_export):
    expected_p, expected_s, expected_tokens = in_training_outputs(tiny_export.classifier)
    session = SessionModel(tiny_export.export_path).explain(TEXTS)
    eager = tf.saved_model.load(tiny_export.export_path).signatures[contract.SALIENCY_SIGNATURE](
        **{contract.TEXT_INPUT: tf.constant(TEXTS)})
    for outputs in (session, {k: v.numpy() for k, v in eager.items()}):
        np.testing.assert_allclose(outputs[contract.PROBABILITIES], expected_p, atol=1e-5)
        np.testing.assert_allclose(outputs[contract.SALIENCY], expected_s, atol=1e-5)
        np.testing.assert_array_equal(outputs[contract.TOKENS], expected_tokens)
    assert np.any(expected_s > 0)


def test_signature_dtypes_and_shapes(tiny_export):
    model = SessionModel(tiny_export.export_path)
    signature = model.signature(contract.SALIENCY_SIGNATURE)
    assert signature.method_name == contract.PREDICT_METHOD
    assert list(signature.inputs) == [contract.TEXT_INPUT]
    assert signature.inputs[contract.TEXT_INPUT].dtype == tf.string.as_datatype_enum
    expected = {contract.PROBABILITIES: tf.float32, contract.SALIENCY: tf.float32, contract.TOKENS: tf.string,
                contract.PREDICTED_LABEL: tf.string, contract.TOKEN_COUNT: tf.int32}
    assert {k: tf.as_dtype(v.dtype) for k, v in signature.outputs.items()} == expected
    out = model.explain(TEXTS)
    batch, classes, max_tokens = len(TEXTS), len(tiny_export.class_names), tiny_export.classifier.max_tokens
    assert out[contract.PROBABILITIES].shape == (batch, classes)
    assert out[contract.SALIENCY].shape == (batch, max_tokens)
    assert out[contract.TOKENS].shape == (batch, max_tokens)
    assert out[contract.PREDICTED_LABEL].shape == (batch,)
    np.testing.assert_allclose(out[contract.PROBABILITIES].sum(-1), 1.0, atol=1e-5)
    assert np.all(out[contract.SALIENCY] >= 0)
    assert np.all(out[contract.SALIENCY][out[contract.TOKENS] == b""] == 0)
    assert set(out[contract.PREDICTED_LABEL]) <= {c.encode() for c in tiny_export.class_names}
    assert list(model.signature(contract.PROBABILITIES_SIGNATURE).outputs) == [contract.PROBABILITIES]


def test_surface_tokens_truncation_and_oov(tiny_export):
    out = SessionModel(tiny_export.export_path).explain(TEXTS)
    tokens = [[t.decode() for t in row if t] for row in out[contract.TOKENS]]
    assert tokens[1][:2] == ["zorblax", "quixotic"]  # out of vocabulary, standardized, not [UNK]
    assert "[UNK]" not in sum(tokens, [])
    assert out[contract.TOKEN_COUNT].tolist() == [7, 6, 14, 0]
    assert len(tokens[2]) == tiny_export.classifier.max_tokens == 12  # truncated, and the count says so


def test_metadata_and_warmup_files(tiny_export):
    model = SessionModel(tiny_export.export_path)
    metadata = model.metadata()
    extra = os.path.join(tiny_export.export_path, contract.ASSETS_EXTRA_DIR)
    with open(os.path.join(extra, contract.METADATA_FILENAME)) as f:
        assert json.load(f) == metadata
    for key in ("class_names", "max_tokens", "penalty", "penalty_weight", "target", "reduction", "training_data",
                "metrics", "contract_version", "integrated_gradients_steps"):
        assert key in metadata
    assert metadata["penalty"] == {"name": "input-gradient", "input_gradient_weight": 1.0, "counterfactual_weight": 0.0,
                                   "target": "predicted", "reduction": "l2", "divergence": "logit-pairing",
                                   "subspace_weight": 0.0, "subspace_rank": 8}
    assert metadata["penalty_weight"] == 1.0 and metadata["reduction"] == "l2"
    assert metadata["contract_version"] == contract.CONTRACT_VERSION == 3
    assert len(metadata["training_data"]["sha256"]) == 64
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy())
            for r in tf.data.TFRecordDataset(os.path.join(extra, contract.WARMUP_FILENAME))]
    assert {log.predict_log.request.model_spec.signature_name for log in logs} == {
        contract.SALIENCY_SIGNATURE, contract.PROBABILITIES_SIGNATURE, contract.INTEGRATED_GRADIENTS_SIGNATURE}
    # Every request runs both tokenizer paths: ASCII words, and a non-ASCII word (the folding function's first run).
    for log in logs:
        texts = [t.decode() for t in tf.make_ndarray(log.predict_log.request.inputs[contract.TEXT_INPUT])]
        assert any(t.isascii() and t.strip() for t in texts) and any(not t.isascii() for t in texts)
    # The session loader replays them as TF Serving does at load (audit-serve for every signature, the embedded
    # backend for the ones it calls).
    assert model.warm_up() == 3
    assert model.warm_up({contract.PROBABILITIES_SIGNATURE}) == 1


def test_versions_are_next_integer(tiny_export, tmp_path):
    base = os.path.dirname(tiny_export.export_path)
    assert next_version(base) == 2
    assert next_version(str(tmp_path / "none")) == 1
    assert not [n for n in os.listdir(base) if n.startswith(".staging")]


@pytest.mark.slow
@pytest.mark.parametrize("changes", [{"bidirectional": True, "unroll": True},
                                     {"bidirectional": True, "pooling": "attention"}, {"pooling": "max"}])
def test_bidirectional_unrolled_and_pooling_models_export_and_agree(changes, example_paths, tmp_path):
    from conftest import tiny_model_settings

    from trainer.train import DataSources, ExportSettings, FitSettings, ModelSettings, train_from_files
    settings = ModelSettings(**{**tiny_model_settings().__dict__, **changes})
    result = train_from_files(example_paths["train"], DataSources(forbidden_path=example_paths["forbidden"]),
                              settings, FitSettings(PenaltyConfig(input_gradient_weight=1.0), epochs=1),
                              ExportSettings(str(tmp_path), "bi"), verbose=0)
    expected_p, expected_s, _ = in_training_outputs(result.classifier)
    out = SessionModel(result.export_path).explain(TEXTS)
    np.testing.assert_allclose(out[contract.PROBABILITIES], expected_p, atol=1e-5)
    np.testing.assert_allclose(out[contract.SALIENCY], expected_s, atol=1e-5)


def test_integrated_gradients_signature_on_the_session_loader(tiny_export):
    """The IG signature runs where TF Serving runs it, agrees with the in-training computation, is complete."""
    from trainer.attributions import integrated_gradients
    model = SessionModel(tiny_export.export_path)
    out = model.run(contract.INTEGRATED_GRADIENTS_SIGNATURE, {contract.TEXT_INPUT: np.asarray(TEXTS, dtype=object)})
    assert set(out) == set(contract.INTEGRATED_GRADIENTS_OUTPUTS)
    classifier = tiny_export.classifier
    _, _, _, ids = classifier.encode(tf.constant(TEXTS))
    expected = integrated_gradients.attribute(classifier, ids, model.metadata()["integrated_gradients_steps"])
    np.testing.assert_allclose(out[contract.ATTRIBUTIONS], expected.attributions.numpy(), atol=1e-5)
    np.testing.assert_allclose(out[contract.SALIENCY], np.abs(out[contract.ATTRIBUTIONS]), atol=1e-7)
    moved = np.abs(out[contract.ATTRIBUTIONS].sum(-1))
    assert np.all(np.abs(out[contract.COMPLETENESS_GAP]) <= 0.05 * np.maximum(moved, 1e-2))
