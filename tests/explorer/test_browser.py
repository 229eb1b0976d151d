"""The generated page in a real headless Chromium: it loads without console
errors, every view draws data, and interactions in one view change another.
Screenshots of every view land in results/test-artifacts/explorer/."""

from __future__ import annotations

import pytest

VIEWS = ("view-methods", "view-geometry", "view-samples", "view-measures")


class Page:
    """A loaded explorer page and the console errors it produced."""

    def __init__(self, browser, path):
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def point(self, plot: str, axis: str, x: float, y: float) -> tuple[float, float]:
        """Viewport pixel of data point (x, y) on ``plot``'s axes ``axis`` ("" or "2")."""
        self.page.locator(f"#{plot}").scroll_into_view_if_needed()
        return tuple(self.js(f"""(() => {{
            const gd = document.getElementById('{plot}'), r = gd.getBoundingClientRect();
            const xa = gd._fullLayout['xaxis{axis}'], ya = gd._fullLayout['yaxis{axis}'];
            return [r.left + xa._offset + xa.l2p({x}), r.top + ya._offset + ya.l2p({y})];
        }})()"""))

    def screenshots(self, where, prefix: str) -> None:
        for view in VIEWS:
            self.page.locator(f"#{view}").screenshot(path=str(where / f"{prefix}-{view}.png"))

    def tiles(self, container: str) -> list[str]:
        return self.js(f"Array.from(document.querySelectorAll('#{container} .tile')).map(t => t.innerText)")


def points(page: Page, plot: str, axis: str = "x") -> int:
    return page.js(f"document.getElementById('{plot}').data.filter(t => (t.xaxis || 'x') === '{axis}')"
                   ".reduce((n, t) => n + (t.x ? t.x.length : 0), 0)")


@pytest.fixture
def full_page(browser, full_study):
    page = Page(browser, full_study.explorer_page)
    yield page
    page.page.close()


def test_every_view_draws_data_without_console_errors(full_page, full_study, artifacts):
    p = full_page
    assert p.js("document.getElementById('methods-plot').data.filter(t => t.name).length") == 3  # one line per method
    assert points(p, "geometry-plot", "x") > 0 and points(p, "geometry-plot", "x2") > 0  # dense and pruned
    assert len(p.tiles("samples-fragile")) == 24 and len(p.tiles("samples-pie")) > 0
    p.page.locator("#samples-fragile img").first.scroll_into_view_if_needed()
    p.page.wait_for_function("Array.from(document.querySelectorAll('#samples-fragile img')).every(i => i.complete)")
    assert p.js("Array.from(document.querySelectorAll('#samples-fragile img')).every(i => i.naturalWidth > 0)")
    assert p.js("document.getElementById('measures-heatmap').data[0].z.length") == 4
    assert points(p, "measures-scatter") == 4  # one point per model
    assert not p.js("document.getElementById('notes').children.length")
    p.screenshots(artifacts, "synthetic")
    assert p.errors == []


def test_choosing_a_method_updates_geometry_and_samples(full_page, artifacts):
    p = full_page
    before_pruned = p.js("JSON.stringify(document.getElementById('geometry-plot').data.filter(t => t.xaxis === 'x2').map(t => t.y))")
    before_lists = p.tiles("samples-fragile")
    y = p.js("(() => { const t = document.getElementById('methods-plot').data.find(t => t.name === 'random');"
             " return t.y[t.x.indexOf(0.6)]; })()")
    x_px, y_px = p.point("methods-plot", "", 0.6, y)
    p.page.mouse.move(x_px, y_px)
    p.page.mouse.click(x_px, y_px)
    p.page.wait_for_function("window.explorer.state.method === 'random'")
    assert p.page.locator("#geometry-method").input_value() == "random"
    assert p.page.locator("#geometry-sparsity").input_value() == "0.6"
    assert "random, one_shot, sparsity 0.6" in p.js("document.getElementById('geometry-plot').layout.annotations[1].text")
    after_pruned = p.js("JSON.stringify(document.getElementById('geometry-plot').data.filter(t => t.xaxis === 'x2').map(t => t.y))")
    assert after_pruned != before_pruned and p.tiles("samples-fragile") != before_lists
    p.page.locator("#view-methods").screenshot(path=str(artifacts / "synthetic-method-chosen.png"))
    assert p.errors == []


def test_brushing_the_geometry_plot_lists_the_selected_samples(full_page, artifacts):
    p = full_page
    assert p.tiles("samples-selected") == []
    box = p.js("(() => { const l = document.getElementById('geometry-plot')._fullLayout;"
               " return [l.xaxis2.range, l.yaxis2.range]; })()")
    (x0, x1), (y0, y1) = box
    start = p.point("geometry-plot", "2", x0 + 0.02 * (x1 - x0), y1 - 0.02 * (y1 - y0))
    end = p.point("geometry-plot", "2", x0 + 0.5 * (x1 - x0), y0 + 0.02 * (y1 - y0))
    p.page.mouse.move(*start)
    p.page.mouse.down()
    p.page.mouse.move(*end, steps=12)
    p.page.mouse.up()
    p.page.wait_for_function("window.explorer.state.selection.length > 0")
    selected = p.js("window.explorer.state.selection.length")
    tiles = p.tiles("samples-selected")
    assert len(tiles) == min(selected, 60) and all(t.startswith("#") and "y=" in t and "ŷ=" in t for t in tiles)
    # the brush highlights the same samples in the dense panel
    assert p.js("document.getElementById('geometry-plot').data.filter(t => t.xaxis === 'x')"
                ".reduce((n, t) => n + (t.selectedpoints ? t.selectedpoints.length : 0), 0)") == selected
    p.page.locator("#samples-selected img").first.scroll_into_view_if_needed()
    p.page.wait_for_function("Array.from(document.querySelectorAll('#samples-selected img')).every(i => i.complete && i.naturalWidth > 0)")
    p.page.locator("#view-geometry").screenshot(path=str(artifacts / "synthetic-geometry-brushed.png"))
    p.page.locator("#view-samples").screenshot(path=str(artifacts / "synthetic-samples-selected.png"))
    assert p.errors == []


def test_corruption_and_heatmap_choices_redraw(full_page):
    p = full_page
    clean = p.js("JSON.stringify(document.getElementById('methods-plot').data.map(t => t.y))")
    p.page.select_option("#methods-corruption", "contrast")
    p.page.select_option("#methods-severity", "5")
    assert p.js("JSON.stringify(document.getElementById('methods-plot').data.map(t => t.y))") != clean
    assert "contrast, severity 5" in p.js("document.getElementById('methods-plot').layout.title.text")
    measure = p.js("document.getElementById('measures-heatmap').data[0].y[2]")
    target = p.js("document.getElementById('measures-heatmap').data[0].x[1]")
    p.page.locator("#measures-heatmap").scroll_into_view_if_needed()
    x_px, y_px = p.point("measures-heatmap", "", 1, 2)
    p.page.mouse.move(x_px, y_px)
    p.page.mouse.click(x_px, y_px)
    p.page.wait_for_function(f"window.explorer.state.measure === '{measure}'")
    assert f"{measure} vs {target}" in p.js("document.getElementById('measures-scatter').layout.title.text")
    assert p.errors == []


def test_a_study_without_corruptions_or_geometry_still_has_a_page(browser, bare_study, artifacts):
    p = Page(browser, bare_study.explorer_page)
    notes = p.js("document.getElementById('notes').innerText")
    assert "feature-geometry columns" in notes and "No corruption results" in notes
    assert "feature-geometry columns" in p.js("document.querySelector('#view-geometry .missing').innerText")
    assert p.js("document.getElementById('methods-plot').data.filter(t => t.name).length") == 2
    assert len(p.tiles("samples-fragile")) > 0 and points(p, "measures-scatter") > 0
    p.screenshots(artifacts, "bare")
    assert p.errors == []
    p.page.close()
