"""How the explorer scales: build a synthetic study of the issue's size
(200 models × 8 methods × 20 sparsities × 19 corruptions × 5 severities),
build its page, and open it in headless Chromium; report the page's size, the
time to build it, and the time until every view is drawn.

    .venv/bin/python bench/explorer_scale.py [--models 200] [--test-samples 500] [--out bench/out]

The per-sample table holds every model × method × sparsity on the clean test
set and the dense model under every corruption × severity (``--test-samples``
images of 3×32×32); the page must stay under 20 MB.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from prunability.config import statistics_config
from prunability.explorer import build, synthetic
from prunability.layout import Layout

METHODS = ("global_magnitude", "grasp", "gradient_magnitude", "l1_filter", "lamp", "layerwise_magnitude", "random", "snip")
CORRUPTIONS = ("brightness", "contrast", "defocus_blur", "elastic_transform", "fog", "frost", "gaussian_blur",
               "gaussian_noise", "glass_blur", "impulse_noise", "jpeg_compression", "motion_blur", "pixelate",
               "saturate", "shot_noise", "snow", "spatter", "speckle_noise", "zoom_blur")
MEASURES = tuple(f"measure_{k:02d}" for k in range(46))
PAGE_LIMIT_MB = 20


def study(models: int, test_samples: int) -> synthetic.SyntheticStudy:
    return synthetic.SyntheticStudy(
        study="explorer-scale", n_settings=models // 2, seeds=2, methods=METHODS,
        sparsities=tuple(round(i / 20, 2) for i in range(20)), corruptions=CORRUPTIONS, severities=(1, 2, 3, 4, 5),
        n_test=test_samples, image_shape=(3, 32, 32), measures=MEASURES)


def load_time(page: Path) -> dict:
    """Seconds from navigation to the load event and until every view has drawn; one interaction."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        tab.goto(page.resolve().as_uri(), timeout=120_000)
        loaded = time.perf_counter() - start
        tab.wait_for_function("['methods-plot', 'geometry-plot', 'measures-heatmap'].every("
                              "id => document.getElementById(id).data && document.getElementById(id).data.length)")
        drawn = time.perf_counter() - start
        start = time.perf_counter()
        tab.select_option("#geometry-method", "random")
        tab.wait_for_function("window.explorer.state.method === 'random'")
        switched = time.perf_counter() - start
        browser.close()
    return {"load_event_s": round(loaded, 2), "all_views_drawn_s": round(drawn, 2),
            "choose_method_s": round(switched, 3), "page_errors": errors}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--models", type=int, default=200)
    args.add_argument("--test-samples", type=int, default=500)
    args.add_argument("--out", type=Path, default=Path("bench/out"))
    a = args.parse_args()
    layout = Layout("explorer-scale", a.out / "explorer_scale")
    start = time.perf_counter()
    synthetic.write(study(a.models, a.test_samples), layout)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    page = build(layout, layout.explorer_page, layout.explorer_sprites, statistics_config())
    built = time.perf_counter() - start
    report = {
        "models": a.models, "methods": len(METHODS), "sparsities": 20, "corruptions": len(CORRUPTIONS), "severities": 5,
        "test_samples": a.test_samples, "samples_table_mb": round(layout.table("samples").stat().st_size / 1e6, 1),
        "generate_s": round(generated, 1), "build_s": round(built, 1),
        "page_mb": round(page.stat().st_size / 1e6, 2), "sprites_mb": round(layout.explorer_sprites.stat().st_size / 1e6, 2),
        **load_time(page),
    }
    print(json.dumps(report, indent=2))
    (a.out / "explorer_scale.json").write_text(json.dumps(report, indent=2) + "\n")
    if report["page_mb"] > PAGE_LIMIT_MB:
        raise SystemExit(f"page of {report['page_mb']} MB is over the {PAGE_LIMIT_MB} MB budget")


if __name__ == "__main__":
    main()
