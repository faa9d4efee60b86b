"""Reading a model this project did not train, without a server: discovery of its input and output, the checks on
what it returns, occlusion in closed form on the numpy fake, and texts rebuilt from the words as written."""

import numpy as np
import pytest

from audit_engine.backends.fake import FakeBackend
from audit_engine.backends.foreign import (
    FLOAT,
    OTHER,
    STRING,
    ForeignOptions,
    TensorSpec,
    class_names_of,
    discover,
    to_probabilities,
)
from audit_engine.backends.predict_only import PredictOnlyBackend
from audit_engine.evaluations import AuditInputs
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon
from saliency_core.words import Words

TEXT = TensorSpec("text", STRING, 1)
SCORES = TensorSpec("scores", FLOAT, 2, 2)


def test_the_only_string_input_and_class_output_are_found_and_said():
    spec = discover([TEXT, TensorSpec("mask", OTHER, 2)], [SCORES, TensorSpec("label", OTHER, 1)], ForeignOptions())
    assert (spec.input.name, spec.output.name, spec.logits) == ("text", "scores", False)
    assert "discovered" in spec.notes[0] and "probabilities (checked on every batch)" in spec.notes[1]
    column = discover([TensorSpec("t", STRING, 2, 1)], [SCORES], ForeignOptions(logits=True))
    assert column.input.rank == 2 and "logits" in column.notes[1]


@pytest.mark.parametrize(
    "inputs, outputs, options, message",
    [
        ([TEXT, TensorSpec("other", STRING, 1)], [SCORES], ForeignOptions(), "name one with --input-name"),
        ([TEXT], [SCORES, TensorSpec("b", FLOAT, 2)], ForeignOptions(), "name one with --output-name"),
        ([TensorSpec("ids", OTHER, 2)], [SCORES], ForeignOptions(), "no string input"),
        ([TEXT], [TensorSpec("label", OTHER, 1)], ForeignOptions(), "no [batch, classes] float output"),
        ([TEXT], [SCORES], ForeignOptions(input_name="x"), "--input-name 'x'"),
        ([TEXT, TensorSpec("ids", OTHER, 2)], [SCORES], ForeignOptions(input_name="ids"), "does not take strings"),
    ],
)
def test_what_cannot_be_found_is_said_with_the_flag_to_use(inputs, outputs, options, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        discover(inputs, outputs, options)


def test_outputs_are_checked_and_logits_turned_into_probabilities():
    p = to_probabilities(np.asarray([[0.2, 0.8], [1.0, 0.0]]), False, "scores")
    assert p.dtype == np.float32 and p.ravel().tolist() == pytest.approx([0.2, 0.8, 1.0, 0.0])
    logits = to_probabilities(np.asarray([[0.0, np.log(3.0)]]), True, "scores")
    assert logits[0].tolist() == pytest.approx([0.25, 0.75])
    for bad, message in (
        ([[2.0, -1.0]], "--logits"),
        ([[0.5, 0.6]], "--logits"),
        ([[np.nan, 1.0]], "NaN"),
        ([0.5, 0.5], "not \\[batch, classes"),
    ):
        with pytest.raises(InputError, match=message):
            to_probabilities(np.asarray(bad), False, "scores")
    assert class_names_of(2, ForeignOptions())[0] == ["0", "1"]
    with pytest.raises(InputError, match="3 names"):
        class_names_of(2, ForeignOptions(class_names=("a", "b", "c")))


def test_words_rebuild_the_text_as_written():
    words = Words.of("The VIDEO, was - truly\u00a0great!")
    assert words.tokens == ["the", "video", "was", "truly", "great"]
    assert words.without(np.asarray([False, True, False, False, False])) == "The was - truly great!"
    assert words.substituted([(1, 2)], "clip") == "The clip was - truly great!"
    two = Words.of("new york is new york")
    assert two.substituted([(0, 2), (3, 5)], "paris") == "paris is paris"


class Fake:
    """The numpy fake as a probabilities-only model (what a foreign model offers)."""

    def __init__(self, weights, bias=-0.5):
        self.inner = FakeBackend(weights, bias=bias)
        self.model_name, self.description, self.loaded_version = "fake", "fake:foreign", 1

    def probabilities(self, texts):
        return self.inner.probabilities(texts)

    def metadata(self):
        return {"class_names": ["0", "1"], "model_name": "fake", "max_tokens": 0, "contract_version": 0}

    def model_status(self):
        return self.inner.model_status()

    def close(self):
        pass


def test_occlusion_is_the_drop_of_p_predicted_without_each_word():
    backend = PredictOnlyBackend(Fake({"video": 3.0, "good": 0.5}), "occlusion", max_words=3)
    explained = backend.explain(["a good video here", "plain"])
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    full = sigmoid(-0.5 + 3.5)
    expected = [0.0, full - sigmoid(2.5), full - sigmoid(0.0)]  # a, good, video; 'here' is past max_words
    assert explained.saliency[0].tolist() == pytest.approx(expected, abs=1e-6)
    assert explained.tokens[0].tolist() == [b"a", b"good", b"video"] and int(explained.token_count[0]) == 4
    assert explained.saliency[1].tolist() == [0.0, 0.0, 0.0] and explained.predicted_label.tolist() == [b"1", b"0"]
    none = PredictOnlyBackend(Fake({"video": 3.0}), "none").explain(["a good video here"])
    assert none.saliency.sum() == 0 and none.tokens[0].tolist() == [b"a", b"good", b"video", b"here"]


def test_a_probabilities_only_audit_measures_reliance_as_the_full_one(tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\n" + "".join(f"d{i},a plain Video number {i}.\n" for i in range(20)))
    lexicon = AuditInputs(Lexicon.from_entries(["video"]))
    full, _ = audit_corpus(
        str(corpus),
        FakeBackend({"video": 3.0}, bias=-0.5),
        str(tmp_path / "full"),
        AuditOptions(id_column="id"),
        lexicon,
    )
    only, _ = audit_corpus(
        str(corpus),
        PredictOnlyBackend(Fake({"video": 3.0}), "none"),
        str(tmp_path / "none"),
        AuditOptions(id_column="id"),
        lexicon,
    )
    assert only.attribution == "none" and not only.saliency_underreports_reliance
    for field in ("reliance_flipped", "reliance_documents", "mean_reliance_drop", "control_flipped"):
        assert getattr(only, field) == getattr(full, field), field
    assert full.reliance_flipped == 20


def test_kserve_outputs_are_read_from_typed_or_raw_contents():
    from audit_engine.backends.kserve_v2 import output_array
    from audit_engine.serving_api import kserve

    values = np.asarray([[0.25, 0.75], [0.5, 0.5]], np.float32)
    typed = kserve.ModelInferResponse()
    typed.outputs.add(name="probabilities", datatype="FP32", shape=[2, 2]).contents.fp32_contents.extend(
        values.ravel().tolist()
    )
    raw = kserve.ModelInferResponse()  # as Triton answers: the bytes beside the tensor's description
    raw.outputs.add(name="other", datatype="INT64", shape=[2])
    raw.outputs.add(name="probabilities", datatype="FP64", shape=[2, 2])
    raw.raw_output_contents.extend([np.zeros(2, "<i8").tobytes(), values.astype("<f8").tobytes()])
    for response in (typed, raw):
        assert output_array(response, "probabilities").tolist() == values.tolist()
    with pytest.raises(InputError, match="not a float"):
        output_array(raw, "other")


def test_a_share_gate_without_saliency_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from audit_cli.main import main

    corpus = tmp_path / "c.csv"
    corpus.write_text("text\na video\n")
    (tmp_path / "f.txt").write_text("video\n")
    result = CliRunner().invoke(
        main,
        [
            "score",
            str(corpus),
            "--server",
            "localhost:1",
            "--attribution",
            "none",
            "--forbidden",
            str(tmp_path / "f.txt"),
            "--fail-above",
            "0.1",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2 and "need saliency" in result.output and not (tmp_path / "out").exists()
