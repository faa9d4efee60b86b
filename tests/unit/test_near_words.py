"""Candidates for discovery from word vectors: the nearest words of each listed term equal a brute-force
reference across chunk boundaries, the file's formats and faults are handled, and the printed file feeds
discovery, which then measures an unlisted word the model relies on."""

import hashlib
import json

import numpy as np
import pytest
from click.testing import CliRunner

from audit_cli.main import main
from audit_engine import near_words, outputs
from audit_engine.backends.fake import FakeBackend
from audit_engine.evaluations import AuditInputs
from audit_engine.near_words import nearest_words
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon, load_lexicon


def write_vectors(path, words, vectors, header=True):
    with open(path, "w", encoding="utf-8") as f:
        if header:
            f.write(f"{len(words)} {vectors.shape[1]}\n")
        for word, vector in zip(words, vectors):
            f.write(word + " " + " ".join(f"{v:.6f}" for v in vector) + "\n")
    return str(path)


def test_nearest_words_equal_a_brute_force_reference_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(near_words, "CHUNK", 7)  # many merges of the running best
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    vectors = rng.normal(size=(200, 8)).astype(np.float32)
    path = write_vectors(tmp_path / "v.vec", words, vectors)
    vectors = np.array([[float(f"{v:.6f}") for v in row] for row in vectors], dtype=np.float32)
    lexicon = Lexicon.from_entries(["w3", "w50", "w7 w9"])
    found = nearest_words(path, lexicon, per_term=5)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    own = {3, 50, 7, 9}
    for entry in found.near:
        tokens = [int(t[1:]) for t in entry.term.split()]
        term = np.mean(vectors[tokens], axis=0)
        scores = unit @ (term / np.linalg.norm(term))
        expected = [i for i in np.argsort(-scores, kind="stable") if i not in own][:5]
        assert [w for w, _ in entry.words] == [f"w{i}" for i in expected]
        assert [s for _, s in entry.words] == pytest.approx([scores[i] for i in expected], abs=1e-5)
    assert found.vectors_read == 200 and found.dimension == 8 and not found.missing


def test_formats_case_variants_and_missing_terms(tmp_path):
    path = tmp_path / "glove.txt"  # no header; a capitalised duplicate after the first; a word with no token
    path.write_text("gay 1 0 0\nlesbian 0.9 0.1 0\nLesbian 0 0 1\n--- 0.95 0.05 0\nqueer 0.8 0.2 0\n"
                    "deaf 0 1 0\nblind 0 0.9 0.1\n", encoding="utf-8")
    found = nearest_words(str(path), Lexicon.from_entries(["Gay", "blind", "taoist"]), per_term=2)
    near = {e.term: [w for w, _ in e.words] for e in found.near}
    assert near == {"gay": ["lesbian", "queer"], "blind": ["deaf", "queer"]}
    assert found.missing == ["taoist"] and found.skipped == ["---"]
    assert found.candidates() == ["deaf", "queer", "lesbian"]


@pytest.mark.parametrize("body, message", [
    ("gay 1 0\nqueer 1 0 0\n", "2: 3 numbers where the first vector has 2"),
    ("gay 1 0\nqueer 1 x\n", "2: the vector of 'queer' holds something that is not a number"),
    ("gay 1 nan\n", "1: the vector of 'gay' is not finite"),
    ("gay\n", "1: expected a word and its numbers"),
    ("other 1 0\n", "none of the lexicon's 1 terms has a vector"),
])
def test_a_malformed_vectors_file_is_one_line_naming_the_line(tmp_path, body, message):
    path = tmp_path / "bad.vec"
    path.write_text(body, encoding="utf-8")
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("gay\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        nearest_words(str(path), load_lexicon(str(lexicon)), 3)
    assert message in str(error.value)
    result = CliRunner().invoke(main, ["candidates", "--vectors", str(path), "--forbidden", str(lexicon)])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output


def test_the_printed_file_feeds_discovery(tmp_path):
    """'zeta' sits near the listed 'video' in the vectors; discovery given the file measures it and ranks it."""
    (tmp_path / "lexicon.txt").write_text("video\n", encoding="utf-8")
    write_vectors(tmp_path / "v.vec", ["video", "zeta", "plain", "words"],
                  np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 1]], dtype=np.float32))
    result = CliRunner().invoke(main, ["candidates", "--vectors", str(tmp_path / "v.vec"), "--forbidden",
                                       str(tmp_path / "lexicon.txt"), "--per-term", "1"])
    assert result.exit_code == 0, result.output
    (tmp_path / "candidates.txt").write_text(result.output, encoding="utf-8")
    candidates = load_lexicon(str(tmp_path / "candidates.txt"))
    assert candidates.phrases == (("zeta",),)
    rows = [" ".join(["plain", "words"] + (["video"] if i % 2 else ["zeta"])) for i in range(40)]
    (tmp_path / "corpus.csv").write_text("id,text\n" + "".join(f"d{i},{t}\n" for i, t in enumerate(rows)))
    options = AuditOptions(id_column="id", examples=0, evaluation_options=(("discover", True),
                                                                           ("discover_sample", 1.0)))
    summary, _ = audit_corpus(str(tmp_path / "corpus.csv"), FakeBackend({"video": 3.0, "zeta": -3.0}, bias=0.5),
                              str(tmp_path / "audit"), options, AuditInputs(Lexicon.from_entries(["video"]),
                                                                            candidates=candidates))
    measured = {item["term"] for line in open(tmp_path / "audit" / outputs.RECORDS_JSONL)
                for item in json.loads(line).get("word_reliance", [])}
    assert measured == {"video", "zeta"}
    assert [w.word for w in summary.discovered_words if not w.listed] == ["zeta"]


def test_a_file_name_with_a_newline_stays_inside_its_comment(tmp_path):
    vectors = write_vectors(tmp_path / "v\nzeta.vec", ["video", "plain"], np.array([[1, 0], [0.9, 0.1]]))
    (tmp_path / "lexicon.txt").write_text("video\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["candidates", "--vectors", vectors, "--forbidden",
                                       str(tmp_path / "lexicon.txt")])
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if not line.startswith("#")] == ["plain"]
    assert "v\\x0azeta.vec" in result.output


def test_gzip_vectors_read_as_plain_ones_and_binary_ones_are_one_line(tmp_path):
    import gzip

    body = "gay 1 0 0\nlesbian 0.9 0.1 0\ndeaf 0 1 0\n"
    with gzip.open(tmp_path / "v.vec.gz", "wt", encoding="utf-8") as f:
        f.write(body)
    (tmp_path / "v.vec").write_text(body, encoding="utf-8")
    lexicon = Lexicon.from_entries(["gay"])
    packed, plain = (nearest_words(str(tmp_path / name), lexicon, 2) for name in ("v.vec.gz", "v.vec"))
    assert packed.near == plain.near and packed.near[0].words[0][0] == "lesbian"
    for name, found in (("v.vec.gz", packed), ("v.vec", plain)):  # the file's own bytes, hashed as they were read
        assert found.vectors_sha256 == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    (tmp_path / "v.bin").write_bytes(b"3 2\ngay \xff\xfe\x00\x01\x80\x81\x82\x83\n")
    with pytest.raises(InputError, match="binary word2vec format is not read"):
        nearest_words(str(tmp_path / "v.bin"), lexicon, 2)
    (tmp_path / "cut.gz").write_bytes(gzip.compress(body.encode())[:20])
    with pytest.raises(InputError, match="damaged gzip"):
        nearest_words(str(tmp_path / "cut.gz"), lexicon, 2)


def test_a_corpus_keeps_only_the_words_it_holds_often_enough(tmp_path):
    path = tmp_path / "v.vec"
    path.write_text("gay 1 0 0\nlesbian 0.9 0.1 0\nqueer 0.8 0.2 0\ndeaf 0 1 0\n", encoding="utf-8")
    (tmp_path / "lexicon.txt").write_text("gay\n", encoding="utf-8")
    (tmp_path / "corpus.csv").write_text('id,body\n1,"a queer, Deaf poet"\n2,Queer\n3,lesbian\n', encoding="utf-8")
    (tmp_path / "corpus.jsonl").write_text('{"body": "a queer, Deaf poet"}\n{"body": "Queer"}\n'
                                           '{"body": "lesbian"}\n{"body": null}\n', encoding="utf-8")
    for corpus in ("corpus.csv", "corpus.jsonl"):
        args = ["candidates", "--vectors", str(path), "--forbidden", str(tmp_path / "lexicon.txt"), "--corpus",
                str(tmp_path / corpus), "--text-column", "body"]
        twice = CliRunner().invoke(main, args + ["--min-documents", "2"])
        assert twice.exit_code == 0, twice.output
        assert [line for line in twice.output.splitlines() if not line.startswith("#")] == ["queer"]
        once = CliRunner().invoke(main, args + ["--min-documents", "1"])
        assert [line for line in once.output.splitlines() if not line.startswith("#")] == ["lesbian", "queer", "deaf"]
        default = CliRunner().invoke(main, args)  # discovery's minimum support: none of these words reaches 10
        assert [line for line in default.output.splitlines() if not line.startswith("#")] == []
    missing = CliRunner().invoke(main, ["candidates", "--vectors", str(path), "--forbidden",
                                        str(tmp_path / "lexicon.txt"), "--corpus", str(tmp_path / "corpus.csv")])
    assert missing.exit_code == 2 and missing.output.count("\n") == 1 and "text" in missing.output
