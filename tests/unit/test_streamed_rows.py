"""Rows read in pieces: the CSV parser agrees with Python's csv (strict), the long-line JSON parser with json.loads,
the text capper fed in pieces with cap_text on the whole text, and a long line costs what the token cap allows."""

import csv
import json
import random
import tracemalloc

import pytest

from saliency_core import streamed_rows
from saliency_core.errors import InputError
from saliency_core.streamed_rows import Budget, Collector, RowSyntaxError, csv_records, json_object
from saliency_core.table import RowReader
from saliency_core.text import MAX_CHARACTERS_PER_TOKEN, TextCapper, cap_text, split_words, surface_tokens


def physical_lines(text):
    """The text's lines as a binary readline splits them (on LF only)."""
    lines, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        lines.append(text[start:end])
        start = end
    return lines


def in_pieces(text, size):
    return [(n, line[k : k + size]) for n, line in enumerate(physical_lines(text), 1) for k in range(0, len(line), size)]


def parsed(text, size):
    budget = Budget(None)
    try:
        return [fields for _, _, fields in csv_records(iter(in_pieces(text, size)), lambda i: Collector(budget, i))]
    except RowSyntaxError:
        return "error"


def reference(text):
    try:
        return [row for row in csv.reader(physical_lines(text), strict=True) if row]
    except csv.Error:
        return "error"


def test_csv_records_agree_with_the_csv_module_in_any_pieces():
    rng = random.Random(7)
    alphabet = 'ab,"\r\n é'
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(20_000)]
    texts += ['id,text\n1,"a ""quoted"" word, and a\nnew line"\n2,plain\n', 'a,"b"c\n', 'a,"open\n', "a\rb\n", "x,\n"]
    disagreements = [(t, size) for t in texts for size in (1, 3, 1000) if parsed(t, size) != reference(t)]
    assert disagreements == []
    assert reference('a,"b"c\n') == "error" and parsed("a,b,\n", 1) == [["a", "b", ""]]  # the check can fail


def json_text(rng):
    """A random JSON string value's characters: escapes, non-ASCII, astral characters (surrogate pairs)."""
    pool = ["a", " ", "é", "\n", "\t", '"', "\\", "/", "\u2028", "😀", "\x01", "中"]
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))


def test_long_json_objects_parse_as_json_loads_does_in_any_pieces():
    rng = random.Random(3)
    for _ in range(2_000):
        value = {
            "id": rng.choice([1, -2.5e3, "x", None, True]),
            "text": json_text(rng),
            "meta": rng.choice([{"a": [1, {"b": "}"}]}, [], "]", {"q": '"\\'}]),
        }
        line = json.dumps(value, ensure_ascii=rng.random() < 0.5) + "\n"
        size = rng.choice([1, 2, 7, 64])
        pieces = [line[k : k + size] for k in range(0, len(line), size)]
        budget = Budget(None)
        got = json_object(pieces[0], iter(pieces[1:]), lambda key: Collector(budget, key), budget)
        assert got == json.loads(line), line


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"text": "abc}', "Unterminated string"),
        ('{"text": "a"} x\n', "Extra data"),
        ('{"text" "a"}\n', "Expecting ':' delimiter"),
        ('{"text": "a\\q"}\n', "Invalid \\escape"),
        ('["text"]\n', "each JSONL line must be an object"),
        ('{"text": "a" "b"}\n', "Expecting ',' delimiter"),
    ],
)
def test_malformed_long_json_is_a_syntax_error(line, message):
    budget = Budget(None)
    with pytest.raises(RowSyntaxError, match=message.replace("\\", "\\\\")):
        json_object(line[:3], iter([line[3:]]), lambda key: Collector(budget, key), budget)


def sample_text(rng, words):
    pool = ["word", "Forbidden", "...", "\u00a0", "  ", "\t", "e\u0301", "\u200b", "Über", "x" * 40, "!", "\n"]
    return "".join(rng.choice(pool) + rng.choice([" ", "", "\u3000"]) for _ in range(words))


def test_the_capper_fed_in_pieces_keeps_what_cap_text_keeps_of_the_whole():
    rng = random.Random(11)
    for _ in range(3_000):
        text, cap = sample_text(rng, rng.randint(0, 60)), rng.randint(1, 40)
        whole = cap_text(text, cap)
        capper = TextCapper(cap)
        size = rng.choice([1, 2, 5, 50, 10_000])
        for k in range(0, len(text), size):
            capper.feed(text[k : k + size])
        assert capper.finish() == whole, (text, cap, size)
        assert whole.token_count == len(surface_tokens(text)) and whole.word_count == len(split_words(text))
        if not whole.cut:
            assert whole.text == text and whole.sha256 == ""
        else:
            assert len(surface_tokens(whole.text)) <= cap and len(whole.text) <= cap * MAX_CHARACTERS_PER_TOKEN


def test_ascii_text_is_cut_after_the_word_of_its_cap_th_token():
    """ASCII text is counted by regexes, not word by word, except in the piece where the cap falls."""
    rng = random.Random(12)
    pool = ["word", "Film", "...", "!", "a.b", "--", "x" * 30, "'s"]
    for _ in range(3_000):
        text = "".join(rng.choice(pool) + rng.choice([" ", "  ", "\t", "\n", ""]) for _ in range(rng.randint(0, 60)))
        cap = rng.randint(1, 40)
        capper = TextCapper(cap)
        size = rng.choice([1, 3, 7, 50, 10_000])
        for k in range(0, len(text), size):
            capper.feed(text[k : k + size])
        capped = capper.finish()
        assert capped == cap_text(text, cap), (text, cap, size)
        tokens = surface_tokens(text)
        assert capped.token_count == len(tokens) and capped.word_count == len(split_words(text))
        if len(tokens) > cap and len(text) <= cap * MAX_CHARACTERS_PER_TOKEN:
            assert surface_tokens(capped.text) == tokens[:cap] and capped.cut
            rest = text[len(capped.text) :]
            assert rest[:1].isspace() or not rest, (text, cap)  # cut at the end of a word
        elif len(tokens) <= cap and len(text) <= cap * MAX_CHARACTERS_PER_TOKEN:
            assert capped.text == text and not capped.cut


def test_a_word_longer_than_the_character_bound_is_cut_there():
    capped = cap_text("a" * 100_000 + " b", 10)
    assert capped.cut and capped.text == "a" * 10 * MAX_CHARACTERS_PER_TOKEN and capped.token_count == 2


def peak_bytes_reading(path, cap):
    tracemalloc.start()
    try:
        with RowReader(str(path), ["text", "id"], text_cap=cap) as reader:
            rows = list(reader)
        return tracemalloc.get_traced_memory()[1], rows
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_long_line_costs_what_the_cap_allows_not_its_length(tmp_path, kind, monkeypatch):
    monkeypatch.setattr(streamed_rows, "PIECE_BYTES", 64 << 10)
    length = 4 << 20  # 4 MB of text on one line: held whole, the line and its text would take 8 MB
    words = ("many words " * (length // 11 + 1))[:length]
    path = tmp_path / f"long.{kind}"
    with open(path, "w", encoding="utf-8") as f:
        if kind == "csv":
            f.write(f'id,text,label\n1,"{words} ""quoted"" end",pos\n2,short,neg\n')
        else:
            f.write(json.dumps({"id": 1, "text": words + ' "quoted" end', "label": "pos"}) + "\n")
            f.write(json.dumps({"id": 2, "text": "short", "label": "neg"}) + "\n")
    peak, rows = peak_bytes_reading(path, 1000)
    capped = rows[0][1]["text"]
    assert capped.cut and capped.token_count == len(words.split()) + 2 and len(surface_tokens(capped.text)) == 1000
    assert rows[0][1]["label"] == "pos" and rows[1][1]["text"].text == "short"
    assert [n for n, _ in rows] == ([2, 3] if kind == "csv" else [1, 2])
    # A few copies of one piece of the line (64 KiB here) and the kept text (64,000 characters), not the line.
    assert peak < 1 << 20, f"{peak / 2**20:.1f} MiB"


def test_a_long_field_besides_the_text_is_an_error_naming_it(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,text,note\n1,fine," + "n" * 5_000_000 + "\n")
    with pytest.raises(InputError) as error, RowReader(str(path), ["text"], text_cap=10) as reader:
        list(reader)
    assert error.value.line == 2 and error.value.column == "note" and "--max-document-tokens" in str(error.value)
