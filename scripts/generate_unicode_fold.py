"""Regenerate saliency_core/unicode_fold.json from this Python's unicodedata (tests/test_fold.py checks freshness).

    .venv/bin/python scripts/generate_unicode_fold.py
"""

import json
import re

from saliency_core import fold, text


def main():
    generated = fold.generate_tables(re.compile(f"{text.WHITESPACE_PATTERN}|{text.IGNORABLE_PATTERN}"))
    fold.TABLE_PATH.write_text(json.dumps(generated, ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                               encoding="utf-8")
    print(f"{fold.TABLE_PATH}: Unicode {generated['unicode_version']}, {len(generated['characters'])} characters, "
          f"{len(generated['compose'])} composition pairs")


if __name__ == "__main__":
    main()
