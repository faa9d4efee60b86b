"""The HTML pieces the reports share: the style sheet, escaping, inline SVG bar charts, and the small Markdown subset
report.md uses turned into HTML (every text escaped; no scripts, no external URLs)."""

import html
import re
from collections.abc import Iterable

STYLE = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.pass{color:#1a7f37}.fail{color:#b42318;font-weight:bold}
.doc{border:1px solid #ddd;padding:8px;margin:8px 0;line-height:1.9}.tok{padding:1px 2px;border-radius:3px}
.forbidden{outline:2px solid #b42318}.muted{color:#666}
.verdict{padding:12px 16px;border-radius:6px;font-size:1.15em;margin:1em 0}.verdict b{font-size:1.2em}
.v-FAIL{background:#fde8e6;border:2px solid #b42318}.v-PASS{background:#e6f4ea;border:2px solid #1a7f37}
.v-ATTENTION,.v-INCONCLUSIVE{background:#fff4e0;border:2px solid #b26b00}
.v-OK{background:#eef2f7;border:2px solid #4c78a8}
.note{background:#fff4e0;padding:6px 10px;border-left:4px solid #b26b00}"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def bar_chart_svg(
    title: str,
    labels: Iterable[str],
    values: Iterable[float],
    width: int = 640,
    bar_height: int = 18,
    value_format: str = "{:.3g}",
) -> str:
    """Horizontal bars as inline SVG."""
    labels, values = list(labels), [float(v) for v in values]
    height = 28 + bar_height * max(len(values), 1) + 8
    top = max(values) if values and max(values) > 0 else 1.0
    parts = [
        f'<svg width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(title)}"><text x="0" y="16" font-size="14" font-weight="bold">{esc(title)}</text>'
    ]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 28 + i * bar_height
        length = (width - 260) * value / top
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{esc(label)[:40]}</text>'
            f'<rect x="180" y="{y + 2}" width="{length:.1f}" height="{bar_height - 4}" fill="#4c78a8"/>'
            f'<text x="{184 + length:.1f}" y="{y + 13}" font-size="12">'
            f"{esc(value_format.format(value))}</text>"
        )
    if not values:
        parts.append('<text x="0" y="44" font-size="12">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend(saliency: bool) -> str:
    """The highlighted documents' legend: the saliency shades only when there is saliency."""
    shades = (
        "<span class='tok' style='background:rgba(230,85,13,0.85)'>high</span> "
        "<span class='tok' style='background:rgba(230,85,13,0.3)'>low</span> saliency; "
    )
    outlined = "<span class='tok forbidden'>outlined</span>: a forbidden word."
    return f"<p class='muted'>Legend: {shades if saliency else ''}{outlined}</p>"


def _plain(markdown_text):
    """The text a Markdown line shows: escapes made by formatting.md undone (html.escape then gives HTML)."""
    return re.sub(r"\\(.)", r"\1", html.unescape(markdown_text))


def markdown_to_html(lines: Iterable[str]) -> str:
    """The small Markdown subset the report uses (headings, tables, paragraphs, quotes, bold) -> HTML."""
    parts: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if table:
            rows = [
                [_plain(cell.strip()) for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1])]
                for row in table
                if not set(row.replace("|", "").strip()) <= {"-"}
            ]
            parts.append(_table(rows[0], rows[1:]))
            table.clear()

    for line in lines:
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if not line.strip():
            continue
        if line.startswith("## "):
            parts.append(f"<h2>{esc(_plain(line[3:]))}</h2>")
        elif line.startswith("> "):
            parts.append(f"<p class='note'>{esc(_plain(line[2:]))}</p>")
        else:
            parts.append(f"<p>{esc(_plain(line))}</p>")
    flush()
    return "\n".join(parts)


def _table(headers, rows):
    head = "".join(f'<th class="{"l" if i == 0 else ""}">{esc(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l" if i == 0 else ""}">{esc(v)}</td>' for i, v in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
