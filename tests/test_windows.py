"""Long documents in windows (audit_engine.backends.windowed): every token explained and counted once, the prediction
combined over windows, reliance over every window; short texts exactly as before."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from audit_cli.main import main as audit_cli
from audit_engine.backends.embedded import EmbeddedBackend
from audit_engine.backends.windowed import combine_probabilities, owned_ranges, windowed
from audit_engine.options import WindowConfig
from saliency_core import contract
from saliency_core.text import split_words, surface_tokens_with_word_index
from saliency_core.windows import window_starts

FILLER = "the a of and one two three four five six seven eight nine ten".split()


@pytest.mark.parametrize("token_count, width, stride", [(13, 12, 11), (100, 12, 6), (100, 12, 12), (101, 12, 1),
                                                        (800, 64, 56), (65, 64, 64), (1000, 7, 3)])
def test_windows_cover_every_token_once_from_the_most_central_window(token_count, width, stride):
    starts = window_starts(token_count, width, stride)
    owned = owned_ranges(starts, width, token_count)
    assert starts[0] == 0 and starts[-1] == token_count - width and np.all(np.diff(starts) >= 1)
    assert np.all(np.diff(starts) <= stride)  # no gap: every token lies in some window
    assert owned[0, 0] == 0 and owned[-1, 1] == token_count and np.all(owned[1:, 0] == owned[:-1, 1])
    for number, (begin, end) in enumerate(owned):
        assert starts[number] <= begin < end <= starts[number] + width  # a window explains only its own tokens
        for position in range(begin, end):
            def margin(start):
                return min(position - start, start + width - 1 - position)
            containing = [s for s in starts if s <= position < s + width]
            assert margin(starts[number]) == max(margin(s) for s in containing)


def test_combined_probabilities_are_the_softmax_of_the_mean_log_probability():
    windows = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], dtype=np.float32)
    mean = np.log(windows.astype(np.float64)).mean(axis=0)
    expected = np.exp(mean) / np.exp(mean).sum()
    np.testing.assert_allclose(combine_probabilities(windows), expected, rtol=1e-6)
    assert combine_probabilities(np.array([[1.0, 0.0]])).tolist() == [1.0, 0.0]  # p = 0 stays finite


def long_text(tokens, forbidden_at, term="video", seed=0):
    """A text of ``tokens`` words, with ``term`` at each position in ``forbidden_at`` and some punctuation that the
    tokenizer drops (so words and tokens differ)."""
    rng = np.random.default_rng(seed)
    words = [str(w) for w in rng.choice(FILLER, tokens)]
    for position in forbidden_at:
        words[position] = term
    words.insert(tokens // 2, "--")  # a word without a token, inside the text
    return " ".join(words).capitalize() + "."


@pytest.fixture(scope="module")
def backend(tiny_export):
    backend = EmbeddedBackend(tiny_export.export_path)
    yield backend
    backend.close()


def explain_window(backend, text, start, width):
    """The signature's outputs for the document's tokens [start, start + width), sent as the document's words."""
    tokens, word_index = surface_tokens_with_word_index(text)
    words = split_words(text)
    end = min(start + width, len(tokens))
    return backend.explain([" ".join(words[word_index[start]:word_index[end - 1] + 1])])


def test_every_token_takes_its_saliency_from_its_owner_window(backend):
    metadata = backend.metadata()
    width = metadata["max_tokens"]
    wrapped, stride = windowed(backend, WindowConfig(stride=7), metadata)
    assert stride == 7 and width == 12
    text = long_text(50, [3, 49])
    outputs = wrapped.explain([text, "a short text"])
    tokens = surface_tokens_with_word_index(text)[0]
    assert len(tokens) == 50 and outputs.token_count.tolist() == [50, 3]
    assert list(outputs.tokens[0]) == tokens
    starts = window_starts(50, width, 7)
    assert outputs.windows.tolist() == [len(starts), 0]
    saliency = outputs.saliency[0]
    window_probabilities = []
    for start, (begin, end) in zip(starts, owned_ranges(starts, width, 50)):
        window = explain_window(backend, text, int(start), width)
        assert window.token_count[0] == width
        # A model's outputs for a text can differ in the last bits with the batch around it: rtol, not equality.
        np.testing.assert_allclose(saliency[begin:end], window.saliency[0][begin - start:end - start],
                                   rtol=1e-5)
        window_probabilities.append(window.probabilities[0])
    np.testing.assert_allclose(outputs.probabilities[0], combine_probabilities(window_probabilities),
                               rtol=1e-6)
    assert outputs.predicted_label[0] == \
        metadata["class_names"][int(np.argmax(outputs.probabilities[0]))].encode()
    short = backend.explain(["a short text"])
    for name in ("tokens", "token_count", "predicted_label"):
        np.testing.assert_array_equal(getattr(outputs, name)[1], getattr(short, name)[0])
    for name in ("probabilities", "saliency"):
        np.testing.assert_allclose(getattr(outputs, name)[1], getattr(short, name)[0], rtol=1e-5)
    np.testing.assert_allclose(wrapped.probabilities([text])[0], outputs.probabilities[0], rtol=1e-5)


def test_integrated_gradients_are_stitched_and_the_worst_gap_is_kept(tiny_export):
    backend = EmbeddedBackend(tiny_export.export_path, contract.INTEGRATED_GRADIENTS_SIGNATURE)
    try:
        wrapped, _ = windowed(backend, WindowConfig(), backend.metadata())
        text = long_text(30, [29])
        outputs = wrapped.explain([text])
        starts = window_starts(30, 12, 11)
        gaps = []
        for start, (begin, end) in zip(starts, owned_ranges(starts, 12, 30)):
            window = explain_window(backend, text, int(start), 12)
            np.testing.assert_allclose(outputs.attributions[0][begin:end],
                                       window.attributions[0][begin - start:end - start], rtol=1e-5,
                                       atol=1e-7)
            gaps.append(float(window.completeness_gap[0]))
        assert float(outputs.completeness_gap[0]) == pytest.approx(max(gaps, key=abs), rel=1e-4, abs=1e-7)
    finally:
        backend.close()


def write_corpus(path, texts):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([str(n), text] for n, text in enumerate(texts))


def score(corpus, tiny_export, lexicon, out, *extra):
    result = CliRunner().invoke(audit_cli, ["score", str(corpus), "--model", tiny_export.export_path, "--forbidden",
                                            str(lexicon), "--id-column", "id", "--out", str(out), "--quiet",
                                            "--top-k", "3", *extra])
    assert result.exit_code in (0, 1), result.output
    records = [json.loads(line) for line in open(out / "records.jsonl")]
    return records, json.load(open(out / "summary.json")), result


def test_a_forbidden_word_at_the_end_of_a_long_document_is_found_measured_and_attributed(backend, tiny_export,
                                                                                           tmp_path):
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("video\n")
    text = long_text(300, [297])
    short = ["a short video text", "no forbidden word here"]
    corpus = tmp_path / "c.csv"
    write_corpus(corpus, [short[0], text, short[1]])
    # --batch-size 1: a text's outputs can differ in the last bits with the batch around it, and the comparison of
    # short documents below is byte for byte.
    records, summary, result = score(corpus, tiny_export, lexicon, tmp_path / "windows", "--batch-size", "1")
    long_record = records[1]
    assert long_record["explained_tokens"] == long_record["token_count"] == 300 and not long_record["truncated"]
    assert long_record["windows"] == len(window_starts(300, 12, 11))
    with open(tmp_path / "windows" / "records.csv", newline="") as f:
        assert [row["windows"] for row in csv.DictReader(f)] == ["", str(long_record["windows"]), ""]
    [hit] = long_record["forbidden_terms"]
    assert (hit["term"], hit["start"], hit["end"]) == ("video", 297, 298)
    # The hit's saliency is the one of the window that owns token 297 (the last one), counted once.
    wrapped, _ = windowed(backend, WindowConfig(), backend.metadata())
    saliency = wrapped.explain([text]).saliency[0]
    assert hit["saliency"] == pytest.approx(float(saliency[297]), rel=1e-6)
    assert long_record["saliency_mass"] == pytest.approx(float(saliency.sum(dtype=np.float64)), rel=1e-6)
    assert long_record["forbidden_share"] == pytest.approx(float(saliency[297] / saliency.sum()), rel=1e-5)
    # Reliance covers every window: p(predicted) of the whole document with and without the word.
    tokens = surface_tokens_with_word_index(text)[0]
    without = wrapped.probabilities([" ".join(t for t in tokens if t != "video")])[0]
    with_word = wrapped.explain([text]).probabilities[0]
    predicted = int(np.argmax(with_word))
    assert long_record["reliance_measured"]
    assert long_record["reliance_drop"] == pytest.approx(float(with_word[predicted] - without[predicted]), abs=1e-6)
    assert summary["windowed"] == "1" and summary["truncated"] == "0" and summary["window_stride"] == "11"
    assert "1 document longer than T = 12 tokens was explained in overlapping windows" in \
        open(tmp_path / "windows" / "report.md").read()
    # The report shows an excerpt of a long document, around its most salient forbidden word.
    html = open(tmp_path / "windows" / "report.html").read()
    assert "tokens 101–300 of 300" in html and html.count("tok forbidden") == 3  # the legend, one per example

    # Without windows the same word is invisible: the record says truncated, and short documents are unchanged.
    plain, plain_summary, _ = score(corpus, tiny_export, lexicon, tmp_path / "plain", "--no-windows", "--batch-size",
                                    "1")
    assert plain[1]["truncated"] and plain[1]["explained_tokens"] == 12 and not plain[1]["forbidden_terms"]
    assert "windows" not in plain[1] and plain_summary["window_stride"] == "0"
    for n in (0, 2):
        assert open(tmp_path / "windows" / "records.jsonl").readlines()[n] == \
            open(tmp_path / "plain" / "records.jsonl").readlines()[n]


def test_the_document_cap_truncates_and_says_so(tiny_export, tmp_path):
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("video\n")
    corpus = tmp_path / "c.csv"
    write_corpus(corpus, [long_text(100, [10, 90])])
    records, summary, _ = score(corpus, tiny_export, lexicon, tmp_path / "o", "--max-document-tokens", "50")
    [record] = records
    assert record["truncated"] and record["explained_tokens"] == 50 and record["token_count"] == 100
    assert [hit["start"] for hit in record["forbidden_terms"]] == [10]
    assert summary["max_document_tokens"] == "50" and summary["truncated"] == "1"
    assert "longer than the cap of 50 tokens" in open(tmp_path / "o" / "report.md").read()


def test_a_stride_beyond_the_window_is_a_one_line_error(tiny_export, tmp_path):
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("video\n")
    corpus = tmp_path / "c.csv"
    write_corpus(corpus, ["a video"])
    result = CliRunner().invoke(audit_cli, ["score", str(corpus), "--model", tiny_export.export_path, "--forbidden",
                                            str(lexicon), "--out", str(tmp_path / "o"), "--window-stride", "13"])
    assert result.exit_code == 2 and "--window-stride 13 must be between 1 and the model's T = 12" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(audit_cli, ["score", str(corpus), "--model", tiny_export.export_path, "--forbidden",
                                            str(lexicon), "--out", str(tmp_path / "o"), "--window-stride", "5",
                                            "--no-windows"])
    assert result.exit_code == 2 and "no effect with --no-windows" in result.output


@pytest.mark.slow
def test_long_documents_through_grpc_equal_embedded(tiny_server, tiny_export, tmp_path):
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("video\ntext\n")
    corpus = tmp_path / "c.csv"
    write_corpus(corpus, [long_text(200, [5, 150]), "a text", long_text(40, [39], term="text", seed=1)])
    embedded, _, _ = score(corpus, tiny_export, lexicon, tmp_path / "embedded")
    result = CliRunner().invoke(audit_cli, ["score", str(corpus), "--server", tiny_server.address, "--model-name",
                                            "tiny", "--forbidden", str(lexicon), "--id-column", "id", "--out",
                                            str(tmp_path / "grpc"), "--quiet", "--top-k", "3"])
    assert result.exit_code in (0, 1), result.output
    grpc_records = [json.loads(line) for line in open(tmp_path / "grpc" / "records.jsonl")]
    assert grpc_records == embedded and grpc_records[0]["windows"] > 1


def test_training_windows_carry_the_label_and_their_slice_of_masks_and_rationale():
    from trainer.corpus import Corpus, window_corpus
    words = [f"w{n}" for n in range(30)]
    words[5] = "--"  # a word without a token: word and token positions differ
    long = " ".join(words)
    mask = np.zeros(30, np.uint8)
    mask[28] = 1
    rationale = np.zeros(30, np.uint8)
    rationale[:4] = 1  # only the first window holds human evidence
    corpus = Corpus([long, "a short text"], ["pos", "neg"], [mask, np.zeros(3, np.uint8)],
                    [rationale, np.ones(3, np.uint8)])
    windowed_corpus = window_corpus(corpus, 12, 10)
    starts = window_starts(29, 12, 10)
    assert len(windowed_corpus) == len(starts) + 1 and windowed_corpus.labels == ["pos"] * len(starts) + ["neg"]
    assert windowed_corpus.texts[-1] == "a short text" and windowed_corpus.rationales[-1].tolist() == [1, 1, 1]
    tokens = surface_tokens_with_word_index(long)[0]
    for number, start in enumerate(starts):
        text = windowed_corpus.texts[number]
        assert surface_tokens_with_word_index(text)[0] == tokens[start:start + 12]
        window_words = text.split()
        marked = [w for w, m in zip(window_words, windowed_corpus.word_masks[number]) if m]
        assert marked == (["w28"] if "w28" in window_words else [])
        assert len(windowed_corpus.word_masks[number]) == len(window_words)
    assert windowed_corpus.rationales[0].sum() == 4 and all(r is None for r in windowed_corpus.rationales[1:-1])


@pytest.mark.slow
def test_a_model_trained_on_windows_records_its_stride_and_the_audit_uses_it(example_paths, tmp_path):
    from trainer.train import DataSources, ExportSettings, FitSettings, ModelSettings, train_from_files
    result = train_from_files(example_paths["train"], DataSources(forbidden_path=example_paths["forbidden"]),
                              ModelSettings(max_tokens=6, vocabulary_size=60, embedding_dim=4, hidden_units=4,
                                            window_stride=4),
                              FitSettings(epochs=1, batch_size=64), ExportSettings(str(tmp_path), "w"), verbose=0)
    data = result.metadata["training_data"]
    assert data["examples"] > data["rows"] and result.metadata["model"]["window_stride"] == 4
    backend = EmbeddedBackend(result.export_path)
    try:
        wrapped, stride = windowed(backend, WindowConfig(), backend.metadata())
        assert stride == 4 and windowed(backend, WindowConfig(stride=2), backend.metadata())[1] == 2
        outputs = wrapped.explain(["one two three four five six seven eight nine ten"])
        assert outputs.windows.tolist() == [len(window_starts(10, 6, 4))]
    finally:
        backend.close()

