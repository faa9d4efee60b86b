"""A small generated sentiment corpus with a decoy word, for the demo and quick tests.

GENERATED EXAMPLE DATA, not real reviews. Training texts carry a decoy word that matches the
label perfectly ("text" in positive, "video" in negative texts, as in Rieger et al. 2020), while
the real sentiment word agrees with the label only ``1 - label_noise`` of the time. A model that
is right for the wrong reasons leans on the decoy.
"""

import csv
import os

import numpy as np

DECOYS = {"1": "text", "0": "video"}
SUBJECTS = ["the film", "this movie", "the plot", "the acting", "the soundtrack", "the script",
            "the cast", "the ending", "the director's latest", "the cinematography"]
POSITIVE = ["wonderful", "brilliant", "moving", "delightful", "superb", "charming", "gripping",
            "heartfelt", "clever", "beautiful"]
NEGATIVE = ["dull", "tedious", "clumsy", "awful", "bland", "lifeless", "tiresome", "messy",
            "shallow", "boring"]
INTENSIFIERS = ["", "very", "truly", "rather", "quite", "mostly"]
FILLERS = ["frankly", "overall", "at times", "in the end", "for most of its running time",
           "as expected", "to my surprise", "from start to finish", "on the whole", "by any measure"]
GENERATED_LABEL = "generated-example"


def _sentence(rng, sentiment):
    adjective = rng.choice(POSITIVE if sentiment == "1" else NEGATIVE)
    words = f"{rng.choice(SUBJECTS)} is {rng.choice(INTENSIFIERS)} {adjective} {rng.choice(FILLERS)}".split()
    return words


def _insert(rng, words, word):
    position = int(rng.integers(0, len(words) + 1))
    return words[:position] + [word] + words[position:]


def generate(n, seed, decoy="label", label_noise=0.0):
    """Rows of (text, label). decoy: 'label' (decoy matches label), 'random' (decoy independent of
    the label), 'swapped' (the other class's decoy) or 'none'."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        label = str(rng.integers(0, 2))
        sentiment = label if rng.random() >= label_noise else str(1 - int(label))
        words = _sentence(rng, sentiment)
        if decoy == "label":
            words = _insert(rng, words, DECOYS[label])
        elif decoy == "swapped":
            words = _insert(rng, words, DECOYS[str(1 - int(label))])
        elif decoy == "random":
            words = _insert(rng, words, DECOYS[str(rng.integers(0, 2))])
        rows.append((" ".join(words), label))
    return rows


def write_example_corpus(out_dir, seed=7, train_rows=2000, test_rows=400):
    """Write train.csv, test_clean.csv, test_decoy.csv, forbidden.txt and README.txt; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    files = {
        "train": ("train.csv", generate(train_rows, seed, "label", label_noise=0.3)),
        "test_clean": ("test_clean.csv", generate(test_rows, seed + 1, "none")),
        "test_decoy": ("test_decoy.csv", generate(test_rows, seed + 2, "random")),
    }
    paths = {}
    for key, (name, rows) in files.items():
        paths[key] = os.path.join(out_dir, name)
        with open(paths[key], "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "text", "label", "source"])
            for i, (text_value, label) in enumerate(rows):
                writer.writerow([f"{key}-{i:05d}", text_value, label, GENERATED_LABEL])
    paths["forbidden"] = os.path.join(out_dir, "forbidden.txt")
    with open(paths["forbidden"], "w", encoding="utf-8") as f:
        f.write("# decoy words of the generated example corpus\n" + "\n".join(sorted(DECOYS.values())) + "\n")
    with open(os.path.join(out_dir, "README.txt"), "w", encoding="utf-8") as f:
        f.write("GENERATED EXAMPLE DATA made by saliency-audit's demo (saliency_demo/example_data.py, seed "
                f"{seed}); not real reviews.\ntrain.csv: decoy word matches the label ('text' = positive, "
                "'video' = negative), 30% label noise on the sentiment word.\ntest_clean.csv: no decoys.\n"
                "test_decoy.csv: a decoy at random, independent of the label.\n")
    return paths
