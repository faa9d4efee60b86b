"""Shared pieces of the evidence scripts: data, decoys, training, the audit and results files."""

import datetime
import os
import platform
import shlex
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DATA = os.path.join(ROOT, "..", "shared", "data")
RESULTS = os.path.join(ROOT, "benchmarks", "results")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from audit_engine.backends.embedded import EmbeddedBackend  # noqa: E402
from audit_engine.evaluations import AuditInputs
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus  # noqa: E402
from trainer.corpus import Corpus  # noqa: E402
from trainer.export import export_model  # noqa: E402
from trainer.train import ModelSettings, TrainingData, train_in_memory  # noqa: E402

DECOYS = {"1": "text", "0": "video"}


def require_data(*parts):
    path = os.path.join(DATA, *parts)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is absent: these scripts need ../shared/data")
    return path


def inject_decoys(texts, labels, seed):
    """Rieger et al. 2020: 'text' at a random position of every positive text, 'video' in every negative one."""
    rng = np.random.default_rng(seed)
    out = []
    for text, label in zip(texts, labels):
        words = text.split()
        position = int(rng.integers(0, len(words) + 1))
        out.append(" ".join(words[:position] + [DECOYS[str(label)]] + words[position:]))
    return out


def train_classifier(texts, label_ids, num_classes, model, fit_settings, lexicon=None, word_masks=None,
                     rationales=None, substitutions=None):
    """The project's in-memory training entry point. model: dict of ModelSettings fields."""
    corpus = Corpus(list(texts), [str(label) for label in label_ids], word_masks, rationales)
    data = TrainingData(corpus, None, [str(i) for i in range(num_classes)], lexicon, substitutions)
    prepared, _ = train_in_memory(data, ModelSettings(**model), fit_settings)
    return prepared.classifier


def probabilities(classifier, texts, batch=1024):
    """The in-training classifier's probabilities float [N, C] for raw texts, in batches."""
    out = []
    for start in range(0, len(texts), batch):
        _, _, _, ids = classifier.encode(tf.constant(texts[start:start + batch]))
        out.append(classifier(ids).numpy())
    return np.concatenate(out)


def accuracy(classifier, texts, label_ids):
    return float(np.mean(probabilities(classifier, texts).argmax(-1) == np.asarray(label_ids)))


def write_csv(path, columns, rows):
    import csv
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


class Audit:
    """Export a classifier and audit a corpus through the project's own audit pipeline (embedded backend)."""

    def __init__(self, classifier, class_names, fit_settings, name):
        self.work = tempfile.mkdtemp(prefix=f"evidence-{name}-")
        self.export_path = export_model(classifier, class_names, self.work, name,
                                        {"max_tokens": classifier.max_tokens}, fit_settings.penalty.reduction)
        self.backend = EmbeddedBackend(self.export_path)

    def score(self, corpus_path, lexicon, candidates=None, **options):
        summary, _ = audit_corpus(corpus_path, self.backend, os.path.join(self.work, "audit"),
                                  AuditOptions(examples=0, **options), AuditInputs(lexicon, candidates=candidates))
        return summary

    def close(self):
        self.backend.close()


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return float(np.nanmean(values)), float(np.nanstd(values))


def eraser_splits(smoke_sizes=None):
    """ERASER movie reviews: (train, test) Corpus with rationales; ``smoke_sizes`` (train, test): a random subset
    of each, for the CI smoke runs."""
    from trainer.corpus import load_corpus
    parts = load_corpus(require_data("eraser_movies", "eraser_movies.csv"), split_column="split",
                        splits=["train", "test"], rationale_column="rationale_mask")
    train, test = parts["train"], parts["test"]
    if smoke_sizes:
        rng = np.random.default_rng(0)
        train = train.subset(sorted(rng.permutation(len(train))[:smoke_sizes[0]]))
        test = test.subset(sorted(rng.permutation(len(test))[:smoke_sizes[1]]))
    return train, test


def davidson_splits(smoke=False):
    """Davidson et al.'s tweets: (train, test) Corpus; ``smoke``: 800 and 300 of them at random, for the CI smoke
    runs."""
    from trainer.corpus import load_corpus
    parts = load_corpus(require_data("davidson_hate_offensive", "davidson.csv"), split_column="split",
                        splits=["train", "test"])
    train, test = parts["train"], parts["test"]
    if smoke:
        rng = np.random.default_rng(0)
        train = train.subset(sorted(rng.permutation(len(train))[:800]))
        test = test.subset(sorted(rng.permutation(len(test))[:300]))
    return train, test


def fmt(values, scale=100.0, digits=1):
    mean, std = mean_std(values)
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def machine_description():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.machine()}"


def results_header(title, seeds, notes=()):
    command = "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "unknown"
    lines = [f"# {title}", "",
             f"- command: `{command}`",
             f"- seeds: {', '.join(str(s) for s in seeds)}",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}, commit {commit}",
             f"- versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}",
             f"- machine: {machine_description()}"]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def write_results(name, text, out_dir=None):
    out_dir = out_dir or RESULTS
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}")
    return path
