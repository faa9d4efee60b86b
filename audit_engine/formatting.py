"""How figures are written for people: one formatter per kind of figure."""

import datetime
import html
from typing import Any


def percent(value: float) -> str:
    """A fraction (or a difference of probabilities, in points) times 100 with one decimal: '–' for NaN (an AUC
    without both classes), and a tiny negative value reads 0.0, not -0.0."""
    if value != value:
        return "–"
    return _one_decimal(value)


def _one_decimal(value: float, signed: bool = False) -> str:
    """value times 100 with one decimal (and its sign with ``signed``); a tiny negative value reads 0.0."""
    text = f"{value * 100:{'+' if signed else ''}.1f}"
    return ("+0.0" if signed else "0.0") if text == "-0.0" else text


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def count(number: int, noun: str, plural: str | None = None) -> str:
    """'1 term', '3 terms', '1,204 documents': a count with its noun in the right number."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def md(value: object) -> str:
    """Text from names, labels or paths made inert in Markdown: no raw HTML (a renderer would make it live), no
    table cell break, no code span, on one line."""
    text = html.escape(str(value), quote=False)
    for character in ("\\", "|", "`", "*", "_", "[", "]"):
        text = text.replace(character, "\\" + character)
    return " ".join(text.split())


def span(interval: Any, signed: bool = False) -> str:
    """An Interval (fractions) in percent or points: '0.9 to 5.6', signed '-1.0 to +3.5'."""
    return f"{_one_decimal(interval.low, signed)} to {_one_decimal(interval.high, signed)}"


def bracketed(message: Any, name: str, fractions: bool = False) -> str:
    """' (0.9 to 5.6)' of a message's Interval field ``name`` in percent, or ' (0.0090-0.0560)' in ``fractions``
    for tables of fractions; '' when the field is unset (a figure without an interval)."""
    if not message.HasField(name):
        return ""
    field = getattr(message, name)
    return f" ({field.low:.4f}-{field.high:.4f})" if fractions else f" ({span(field)})"


def ci(interval: Any, confidence: float, unit: str = "%", signed: bool = False) -> str:
    """'95 % CI 0.9 to 5.6 %' of an Interval (fractions, shown in percent or points)."""
    return f"{confidence * 100:g} % CI {span(interval, signed)} {unit}"
