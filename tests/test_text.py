"""One text normalisation for the model's graph and the Python side (issue 15): Unicode whitespace splits words,
default-ignorable characters vanish, and both sides agree on tricky strings."""

import sys

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
