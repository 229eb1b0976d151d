"""The explorer page: one HTML file with plotly.js, the data and the page's
glue script inlined, so it opens from disk with no server and no network."""

from __future__ import annotations

import html
import json
import math
from importlib.resources import files
from pathlib import Path

from plotly.offline import get_plotlyjs

from prunability import io

STATIC = files("prunability.explorer") / "static"


def _json(data: dict) -> str:
    """JSON safe inside a <script> element (no "</" can close it early; NaN as null)."""
    return json.dumps(_finite(data), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def render(data: dict) -> str:
    template = (STATIC / "page.html").read_text(encoding="utf-8")
    scripts = "\n".join([
        f"<script>{get_plotlyjs()}</script>",
        f'<script id="explorer-data" type="application/json">{_json(data)}</script>',
        f"<script>{(STATIC / 'app.js').read_text(encoding='utf-8')}</script>",
    ])
    title = html.escape(f"prunability explorer: {data['study']}")
    return template.replace("@@TITLE@@", title).replace("@@SCRIPTS@@", scripts)


def write(data: dict, path: Path) -> Path:
    """Write the page atomically: an interrupted build leaves the previous page or none."""
    text = render(data)
    with io.atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
