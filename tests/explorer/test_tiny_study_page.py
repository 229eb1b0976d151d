"""The explorer page the workflow builds for the tiny study, opened in Chromium:
every view is drawn or says what is missing, with no console error."""

from __future__ import annotations

import pytest

from .test_browser import Page, points

pytestmark = pytest.mark.slow


def test_tiny_study_page_renders(browser, tiny_run, artifacts):
    page = tiny_run / "explorer" / "index.html"
    assert page.is_file() and (tiny_run / "explorer" / "samples.png").is_file()
    assert page.stat().st_size < 20e6
    p = Page(browser, page)
    assert p.js("document.getElementById('methods-plot').data.filter(t => t.name).length") == 2  # magnitude, random
    corruptions = p.js("Array.from(document.querySelectorAll('#methods-corruption option')).map(o => o.value)")
    assert {"none", "gaussian_noise", "contrast"} <= set(corruptions)
    if p.js("window.explorer.data.geometry") is None:  # the samples table predates the geometry columns
        assert "feature-geometry" in p.js("document.querySelector('#view-geometry .missing').innerText")
    else:
        assert points(p, "geometry-plot", "x") > 0 and points(p, "geometry-plot", "x2") > 0
    assert len(p.tiles("samples-fragile")) > 0
    assert p.js("document.getElementById('measures-heatmap').data[0].z.length") > 10
    assert points(p, "measures-scatter") == 2  # the two models of the zoo
    p.screenshots(artifacts, "tiny")
    assert p.errors == []
    p.page.close()
