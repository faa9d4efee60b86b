"""Shared pieces of the evidence scripts: data, decoys, training, the audit, results files and SVG charts."""

import datetime
import html
import math
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

from audit_cli.backends import EmbeddedBackend  # noqa: E402
from audit_cli.score import ScoreOptions, score_corpus  # noqa: E402
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

    def score(self, corpus_path, lexicon, **options):
        summary, _ = score_corpus(corpus_path, self.backend, lexicon, os.path.join(self.work, "audit"),
                                  ScoreOptions(examples=0, **options))
        return summary

    def close(self):
        self.backend.close()


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return float(np.nanmean(values)), float(np.nanstd(values))


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


def svg_line_chart(path, title, x_labels, series, y_label, y_range=(0.0, 1.0), width=560, height=300):
    """series: {name: (means, stds)} plotted over categorical x positions; a self-contained SVG file."""
    colors = ["#4c78a8", "#e45756", "#54a24b", "#b279a2", "#f58518"]
    left, right, top, bottom = 60, 150, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = y_range
    x = lambda i: left + (plot_w * i / max(len(x_labels) - 1, 1))
    y = lambda v: top + plot_h * (1 - (v - lo) / (hi - lo))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
             f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
             f'<text x="14" y="{top + plot_h / 2}" font-size="12" transform="rotate(-90 14 {top + plot_h / 2})">'
             f'{html.escape(y_label)}</text>']
    for tick in np.linspace(lo, hi, 6):
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4}" font-size="10" text-anchor="end">{tick:.1f}</text>'
                     f'<line x1="{left}" y1="{y(tick)}" x2="{left + plot_w}" y2="{y(tick)}" stroke="#eee"/>')
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{x(i)}" y="{top + plot_h + 16}" font-size="10" text-anchor="middle">'
                     f'{html.escape(str(label))}</text>')
    for index, (name, (means, stds)) in enumerate(series.items()):
        color = colors[index % len(colors)]
        points = [(x(i), y(m)) for i, m in enumerate(means) if not math.isnan(m)]
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                     + " ".join(f"{a:.1f},{b:.1f}" for a, b in points) + '"/>')
        for i, (m, s) in enumerate(zip(means, stds)):
            if math.isnan(m):
                continue
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(m):.1f}" r="3" fill="{color}"/>'
                         f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(min(hi, m + s)):.1f}" y2="{y(max(lo, m - s)):.1f}" '
                         f'stroke="{color}"/>')
        parts.append(f'<rect x="{left + plot_w + 12}" y="{top + 16 * index}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{left + plot_w + 26}" y="{top + 16 * index + 9}" font-size="11">{html.escape(name)}</text>')
    parts.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    print(f"wrote {path}")
    return path
