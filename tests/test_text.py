"""One text normalisation for the model's graph and the Python side: Unicode whitespace splits words,
default-ignorable characters vanish, and both sides agree on tricky strings."""

import sys

import pytest
import tensorflow as tf

from saliency_core import text
from saliency_core.lexicon import Lexicon

TRICKY = ["word\u00a0text here", "a\u2028b\u2029c", "full\u3000width", "sep\x1cfield\x1fend", "soft\u00adhy\u00adphen",
          "zero\u200bwidth text", "bidi \u202etext\u202c here", "tab\tand\nnewline", "  leading and trailing  ",
          "nel\x85line", "ogham\u1680space", "narrow\u202fnbsp", "bom\ufefftext", "mixed \u00a0\u200b text", "",
          "\u2060", "emoji 🙂 text", "punctuation, text! (video)"]


def test_the_whitespace_pattern_is_exactly_pythons_whitespace():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    matched = {chr(c) for c in range(sys.maxunicode + 1) if text._WHITESPACE.fullmatch(chr(c))}
    assert matched == spaces


def test_graph_and_python_split_the_same_words():
    graph = tf.strings.split(text.normalize(tf.constant(TRICKY))).to_list()
    for raw, words in zip(TRICKY, graph):
        assert [w.decode("utf-8") for w in words] == text.split_words(raw), repr(raw)


def test_forbidden_words_after_unusual_whitespace_or_inside_ignorables_are_found():
    lexicon = Lexicon.from_entries(["text"])
    for raw in ["word\u00a0text", "zero\u200b text", "te\u00adxt here", "bom\ufeff text", "a\u3000text"]:
        tokens = text.tokenize_all([raw])[0]
        assert lexicon.matches(tokens), (raw, tokens)


def test_word_index_aligns_with_split_words():
    raw = "one\u00a0two three\u2028four"
    tokens, _, word_index = text.tokenize(tf.constant([raw]), 8)
    assert [t.decode() for t in tokens.numpy()[0] if t] == ["one", "two", "three", "four"]
    assert word_index.numpy()[0][:4].tolist() == [0, 1, 2, 3] and len(text.split_words(raw)) == 4


def test_python_tokenizer_matches_the_graph_on_tricky_text():
    extra = ["İstanbul ǅemal ΣΊΣΥΦΟΣ straße", "ÀÉÎÕÜ çà et là", "Dr. O'Neil's e-mail: a@b.c!", "ﬁne ＦＵＬＬ width",
             "ⰯꟀ𐕰 kept case", "mixed\u00a0NBSP,\u200bZWSP", "numbers 3.14 and 1,000", "tabs\tand\r\nCRLF"]
    for raw, graph in zip(TRICKY + extra, text.tokenize_all_with_graph_ops(TRICKY + extra)):
        assert text.surface_tokens(raw) == graph, repr(raw)


@pytest.mark.slow
def test_every_code_point_tokenizes_the_same_in_python_and_in_the_graph():
    """Each character alone and inside a word, through both tokenizers (NUL excluded: the reader refuses it)."""
    chars = [chr(c) for c in range(1, sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    samples = [f"A{c}b" for c in chars]
    graph = text.tokenize_all_with_graph_ops(samples)
    mismatches = [(s, g) for s, g in zip(samples, graph) if text.surface_tokens(s) != g]
    assert mismatches == []


@pytest.mark.slow
def test_the_keep_case_list_is_what_tensorflow_does():
    chars = [chr(c) for c in range(1, sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    lowered = tf.strings.lower(tf.constant(chars), encoding="utf-8").numpy()
    kept = {c for c, low in zip(chars, lowered) if low.decode("utf-8") != c.lower()}
    assert kept == set(text.TENSORFLOW_KEEPS_CASE)


def test_python_word_index_matches_the_graph():
    """The rationale alignment of the light client (no TensorFlow) uses the Python word index."""
    samples = TRICKY + ["a ¨ b ﬁne , ok", "...  !! x", "ｔｅｘｔ\u00a0e\u0301t\u00e9 ㅎㅏ"]
    _, _, graph_index = text.tokenize(tf.constant(samples), 16)
    for raw, row in zip(samples, graph_index.numpy().tolist()):
        expected = [i for i in row if i >= 0]
        assert text.surface_tokens_with_word_index(raw)[1][:16] == expected, repr(raw)
