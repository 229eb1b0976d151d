// The explorer's glue: state shared by the four views, and the Plotly traces
// each view draws from the data the Python side aggregated (no charting here).
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const CONFIG = { responsive: true, displaylogo: false };
  const state = {
    method: null, schedule: null, corruption: "none", severity: null,
    model: null, geoSchedule: null, sparsity: null, yField: "feature_norm", cls: "all", selection: [],
    stat: "tau", measure: null, target: null, colourBy: null,
  };
  const $ = (id) => document.getElementById(id);
  const color = (i) => COLORS[i % COLORS.length];

  // ---- decoding of packed arrays (see explorer/packing.py) ----
  const decoded = new WeakMap();
  function unpack(p) {
    if (!p) return null;
    if (decoded.has(p)) return decoded.get(p);
    const raw = atob(p.b64);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    let out;
    if (p.kind === "u8") out = Array.from(bytes);
    else {
      const view = new DataView(bytes.buffer);
      out = new Array(bytes.length / 2);
      for (let i = 0; i < out.length; i++) {
        const q = view.getUint16(2 * i, true);
        out[i] = p.kind === "u16" ? q : (q === 65535 ? NaN : p.lo + q * p.scale);
      }
    }
    decoded.set(p, out);
    return out;
  }

  function fillSelect(id, options, value, onChange) {
    const el = $(id);
    el.innerHTML = "";
    for (const o of options) {
      const opt = document.createElement("option");
      opt.value = String(o.value); opt.textContent = o.label;
      el.appendChild(opt);
    }
    el.value = String(value);
    el.onchange = () => onChange(el.value);
  }
  const plain = (values) => values.map((v) => ({ value: v, label: String(v) }));

  function missing(sectionId, text) {
    const p = document.createElement("p");
    p.className = "missing"; p.textContent = text;
    const section = $(sectionId);
    section.insertBefore(p, section.querySelector(".controls, h3, .plot"));
    section.querySelectorAll(".controls, .plot").forEach((c) => { c.style.display = "none"; });
  }

  // ---- 1. Methods ----
  let methodsIndex = null;
  function buildMethodsIndex() {
    const r = DATA.methods.rows;
    methodsIndex = new Map();
    for (let i = 0; i < r.method.length; i++) {
      const key = [r.method[i], r.schedule[i], r.corruption[i], r.severity[i]].join("|");
      if (!methodsIndex.has(key)) methodsIndex.set(key, []);
      methodsIndex.get(key).push(i);
    }
  }

  function methodsTraces() {
    const M = DATA.methods, r = M.rows, traces = [];
    const severity = state.corruption === "none" ? 0 : state.severity;
    M.methods.forEach((m, k) => {
      const idx = (methodsIndex.get([m, state.schedule, state.corruption, severity].join("|")) || [])
        .slice().sort((a, b) => r.sparsity[a] - r.sparsity[b]);
      if (!idx.length) return;
      const x = idx.map((i) => r.sparsity[i]), y = idx.map((i) => r.mean[i]);
      const sd = idx.map((i) => (r.sd[i] === null ? 0 : r.sd[i]));
      traces.push({
        x: x.concat(x.slice().reverse()), y: y.map((v, j) => v + sd[j]).concat(y.map((v, j) => v - sd[j]).reverse()),
        fill: "toself", fillcolor: color(k) + "26", line: { width: 0 }, hoverinfo: "skip", showlegend: false,
        legendgroup: m, type: "scatter", mode: "lines",
      });
      const chosen = m === state.method;
      traces.push({
        x, y, name: m, legendgroup: m, type: "scatter", mode: "lines+markers", customdata: idx.map((i) => r.n[i]),
        line: { color: color(k), width: chosen ? 4 : 1.5 }, marker: { size: chosen ? 9 : 6, color: color(k) },
        hovertemplate: m + "<br>sparsity %{x}<br>accuracy %{y:.4f}<br>%{customdata} models<extra></extra>",
      });
    });
    return traces;
  }

  function renderMethods() {
    const M = DATA.methods;
    const what = state.corruption === "none" ? "clean test set" : `${state.corruption}, severity ${state.severity}`;
    const traces = methodsTraces();
    const layout = {
      title: { text: `Accuracy vs sparsity (${what}; ${state.schedule}); band: ±1 sd over ${M.spread}` },
      xaxis: { title: { text: "sparsity (fraction of weights removed)" } },
      yaxis: { title: { text: "accuracy" } }, height: 430, margin: { t: 50, l: 60, r: 20, b: 50 },
      annotations: traces.length ? [] : [{ text: "no results for this combination", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
    };
    Plotly.react("methods-plot", traces, layout, CONFIG);
  }

  function initMethods() {
    const M = DATA.methods;
    if (!M) { missing("view-methods", "No pruning or robustness results in this study: nothing to draw here."); return; }
    buildMethodsIndex();
    state.method = state.method || M.methods[0];
    state.schedule = M.schedules.includes("one_shot") ? "one_shot" : M.schedules[0];
    state.severity = M.severities.length ? M.severities[M.severities.length - 1] : 0;
    fillSelect("methods-corruption", plain(M.corruptions), state.corruption, (v) => { state.corruption = v; syncSeverity(); renderMethods(); });
    fillSelect("methods-severity", plain(M.severities), state.severity, (v) => { state.severity = Number(v); renderMethods(); });
    fillSelect("methods-schedule", plain(M.schedules), state.schedule, (v) => { state.schedule = v; renderMethods(); });
    syncSeverity();
    renderMethods();
    $("methods-plot").on("plotly_click", (ev) => {
      const pt = ev && ev.points && ev.points[0];
      if (!pt || !pt.data.name) return;
      chooseMethod(pt.data.name, pt.x);
    });
  }
  function syncSeverity() { $("methods-severity").disabled = state.corruption === "none" || !DATA.methods.severities.length; }

  function chooseMethod(method, sparsity) {
    state.method = method;
    const G = DATA.geometry;
    if (G && sparsity !== undefined && G.sparsities.includes(sparsity)) state.sparsity = sparsity;
    if (G) snapSparsity();
    if (DATA.methods) renderMethods();
    if (G) { syncGeometryControls(); renderGeometry(); }
    renderSamples();
  }

  // ---- 2. Geometry ----
  const Y_FIELDS = [{ value: "feature_norm", label: "feature length ‖φ(x)‖" }, { value: "angular_margin", label: "angular margin (rad)" }];
  const variantKey = () => `${state.method}|${state.geoSchedule}|${state.sparsity}`;
  // Sparsities that exist for the chosen model, method and schedule (IMP rounds and the
  // one-shot grid differ), and the chosen sparsity moved to the nearest of them.
  function availableSparsities() {
    const D = DATA.geometry.data[state.model], prefix = `${state.method}|${state.geoSchedule}|`;
    return Object.keys(D ? D.pruned : {}).filter((k) => k.startsWith(prefix))
      .map((k) => Number(k.slice(prefix.length))).sort((a, b) => a - b);
  }
  function snapSparsity() {
    const choices = availableSparsities();
    if (!choices.length || choices.includes(state.sparsity)) return;
    const target = state.sparsity === null || state.sparsity === undefined ? choices[Math.floor(choices.length / 2)] : state.sparsity;
    state.sparsity = choices.reduce((best, s) => (Math.abs(s - target) < Math.abs(best - target) ? s : best), choices[0]);
  }

  function panelTraces(values, axis, showlegend) {
    const G = DATA.geometry, angle = unpack(values.true_angle), y = unpack(values[state.yField]);
    const pred = unpack(values.predicted), chosen = new Set(state.selection), traces = [];
    for (const c of G.classes) {
      if (state.cls !== "all" && Number(state.cls) !== c) continue;
      const idx = [];
      G.labels.forEach((label, i) => { if (label === c && Number.isFinite(angle[i]) && Number.isFinite(y[i])) idx.push(i); });
      const selected = idx.map((i, j) => (chosen.has(G.samples[i]) ? j : -1)).filter((j) => j >= 0);
      traces.push({
        type: "scatter", mode: "markers", name: `class ${c}`, legendgroup: `class ${c}`, showlegend,
        xaxis: axis.x, yaxis: axis.y, x: idx.map((i) => angle[i]), y: idx.map((i) => y[i]),
        customdata: idx.map((i) => [G.samples[i], pred[i]]),
        marker: { color: color(c), size: 6, opacity: 0.8 },
        selectedpoints: state.selection.length ? selected : null,
        selected: { marker: { opacity: 1, size: 8 } }, unselected: { marker: { opacity: 0.12 } },
        hovertemplate: `sample %{customdata[0]}<br>class ${c}, predicted %{customdata[1]}<br>angle %{x:.3f}<br>%{y:.3f}<extra></extra>`,
      });
    }
    return traces;
  }

  function renderGeometry() {
    const D = DATA.geometry.data[state.model];
    const pruned = D && D.pruned[variantKey()];
    const traces = panelTraces(D.dense, { x: "x", y: "y" }, true).concat(pruned ? panelTraces(pruned, { x: "x2", y: "y2" }, false) : []);
    const yTitle = Y_FIELDS.find((f) => f.value === state.yField).label;
    const layout = {
      grid: { rows: 1, columns: 2, pattern: "independent" }, height: 470, dragmode: "select",
      margin: { t: 60, l: 60, r: 20, b: 50 }, legend: { title: { text: "true class" } },
      xaxis: { title: { text: "angle to true-class weight (rad)" } }, yaxis: { title: { text: yTitle } },
      xaxis2: { title: { text: "angle to true-class weight (rad)" }, matches: "x" }, yaxis2: { title: { text: yTitle }, matches: "y" },
      annotations: [
        { text: "<b>dense</b>", xref: "x domain", yref: "y domain", x: 0.5, y: 1.08, showarrow: false },
        { text: pruned ? `<b>pruned</b>: ${state.method}, ${state.geoSchedule}, sparsity ${state.sparsity}` : `no pruned results for ${state.method}, ${state.geoSchedule}, sparsity ${state.sparsity}`,
          xref: "x2 domain", yref: "y2 domain", x: 0.5, y: 1.08, showarrow: false },
      ],
    };
    Plotly.react("geometry-plot", traces, layout, CONFIG);
  }

  function syncGeometryControls() {
    const G = DATA.geometry;
    if (!G.methods.includes(state.method)) state.method = G.methods[0];
    $("geometry-method").value = state.method;
    $("geometry-sparsity").value = String(state.sparsity);
  }

  // Redrawing to highlight the selection in both panels makes Plotly emit a
  // selection event of its own (with no points); it must not clear the selection.
  let redrawing = false;
  function onGeometrySelected(ev) {
    if (redrawing) return;
    const picked = new Set();
    if (ev && ev.points) ev.points.forEach((p) => picked.add(p.customdata[0]));
    state.selection = Array.from(picked).sort((a, b) => a - b);
    redrawing = true;
    try { renderGeometry(); } finally { redrawing = false; }
    renderSamples();
  }

  function initGeometry() {
    const G = DATA.geometry;
    if (!G) { missing("view-geometry", DATA.geometry_missing || "No feature-geometry results in this study."); return; }
    state.model = G.models[0].id;
    state.method = G.methods.includes(state.method) ? state.method : G.methods[0];
    state.geoSchedule = G.schedules.includes("one_shot") ? "one_shot" : G.schedules[0];
    state.sparsity = null;
    snapSparsity();
    if (state.sparsity === null) state.sparsity = G.sparsities[Math.floor(G.sparsities.length / 2)];
    const rerender = () => { snapSparsity(); syncGeometryControls(); renderGeometry(); renderSamples(); };
    fillSelect("geometry-model", G.models.map((m) => ({ value: m.id, label: m.label })), state.model, (v) => { state.model = v; state.selection = []; rerender(); });
    fillSelect("geometry-method", plain(G.methods), state.method, (v) => chooseMethod(v));
    fillSelect("geometry-schedule", plain(G.schedules), state.geoSchedule, (v) => { state.geoSchedule = v; rerender(); });
    fillSelect("geometry-sparsity", plain(G.sparsities), state.sparsity, (v) => { state.sparsity = Number(v); rerender(); });
    fillSelect("geometry-y", Y_FIELDS, state.yField, (v) => { state.yField = v; renderGeometry(); });
    fillSelect("geometry-class", [{ value: "all", label: "all" }].concat(G.classes.map((c) => ({ value: c, label: String(c) }))), "all",
      (v) => { state.cls = v; renderGeometry(); });
    if (G.models.length < G.n_models_total || G.samples.length < G.n_test) {
      const p = document.createElement("p");
      p.className = "help";
      const models = G.models.length < G.n_models_total ? `${G.models.length} of ${G.n_models_total} models (spread over the generalization gap)` : `all ${G.n_models_total} models`;
      const shown = G.samples.length < G.n_test ? `${G.samples.length} of ${G.n_test} test samples (the same share of every class)` : `all ${G.n_test} test samples`;
      p.textContent = `Showing ${models} and ${shown}.`;
      $("geometry-plot").before(p);
    }
    renderGeometry();
    $("geometry-plot").on("plotly_selected", onGeometrySelected);
    $("geometry-plot").on("plotly_deselect", () => onGeometrySelected(null));
  }

  // ---- 3. Samples ----
  function tile(sample, lines, title) {
    const div = document.createElement("div");
    div.className = "tile"; div.title = title || "";
    const I = DATA.samples && DATA.samples.images, pos = I ? I.index[String(sample)] : undefined;
    if (pos === undefined) {
      const none = document.createElement("div"); none.className = "noimg"; none.textContent = "no image"; div.appendChild(none);
    } else {
      const [h, w] = I.tile, scale = Math.max(1, Math.floor(64 / Math.max(h, w)));
      const box = document.createElement("div"); box.className = "img";
      box.style.width = `${w * scale}px`; box.style.height = `${h * scale}px`;
      const img = document.createElement("img");
      img.src = I.file; img.alt = `test sample ${sample}`;
      img.style.width = `${I.cols * w * scale}px`;
      img.style.left = `${-(pos % I.cols) * w * scale}px`; img.style.top = `${-Math.floor(pos / I.cols) * h * scale}px`;
      box.appendChild(img); div.appendChild(box);
    }
    for (const line of lines) { const t = document.createElement("div"); t.textContent = line; div.appendChild(t); }
    return div;
  }

  const fmt = (v, digits) => (v === null || v === undefined || Number.isNaN(v) ? "never" : Number(v).toFixed(digits));
  function severityLine(bySeverity) {
    const entries = Object.entries(bySeverity || {});
    if (!entries.length) return ["", ""];
    const failing = entries.filter(([, s]) => s !== null && !Number.isNaN(s));
    const full = entries.map(([c, s]) => `${c}: ${s === 0 ? "wrong when clean" : fmt(s, 0)}`).join("\n");
    if (!failing.length) return ["sev: never fails", full];
    const low = Math.min(...failing.map(([, s]) => s));
    if (low === 0) return ["sev: wrong even when clean", full];
    const names = failing.filter(([, s]) => s === low).map(([c]) => c);
    return [`sev ${low}: ${names[0]}${names.length > 1 ? ` +${names.length - 1}` : ""}`, full];
  }

  function fillTiles(id, countId, tiles, total, empty) {
    const el = $(id);
    el.innerHTML = "";
    tiles.forEach((t) => el.appendChild(t));
    $(countId).textContent = total === null ? empty : `(${total}${tiles.length < total ? `, showing ${tiles.length}` : ""})`;
  }

  function renderSelected() {
    const G = DATA.geometry, S = DATA.samples;
    if (!G || !S || !S.per_model) { fillTiles("samples-selected", "samples-selected-count", [], null, "— needs the Geometry view's data"); return; }
    const D = G.data[state.model], failure = S.per_model[state.model] || { sparsity: {}, severity: {} };
    const position = new Map(G.samples.map((s, i) => [s, i]));
    const firstSparsity = unpack(failure.sparsity[`${state.method}|${state.geoSchedule}`]);
    const severities = Object.fromEntries(Object.entries(failure.severity).map(([c, p]) => [c, unpack(p)]));
    const pred = unpack(D.dense.predicted);
    const tiles = state.selection.slice(0, 60).map((sample) => {
      const i = position.get(sample);
      const [sev, full] = severityLine(Object.fromEntries(Object.entries(severities).map(([c, a]) => [c, a[i]])));
      return tile(sample, [`#${sample} y=${G.labels[i]} ŷ=${pred[i]}`, `s: ${firstSparsity ? fmt(firstSparsity[i], 2) : "n/a"}`, sev],
        `${state.method} (${state.geoSchedule}) first fails at sparsity ${firstSparsity ? fmt(firstSparsity[i], 2) : "n/a"}\n${full}`);
    });
    fillTiles("samples-selected", "samples-selected-count", tiles, state.selection.length, "");
    if (!state.selection.length) $("samples-selected-count").textContent = "(none: brush the Geometry view)";
  }

  function difficultyLine(S, sample) {  // zoo-mean difficulty of a test sample (stats/sample_difficulty)
    const d = S && S.difficulty && S.difficulty[String(sample)];
    if (!d) return "";
    const f = (v, digits) => (v === null || v === undefined ? "n/a" : Number(v).toFixed(digits));
    return `\ndifficulty over the zoo: consistency ${f(d.consistency, 2)}, EL2N ${f(d.el2n, 3)}, ` +
      `forgetting events ${f(d.forgetting, 2)}, margin ${f(d.margin, 2)}`;
  }

  function renderLists() {
    const S = DATA.samples, method = state.method;
    const lists = S && S.lists && S.lists[method], pies = S && S.pie && S.pie[method];
    const zoo = (S && S.zoo_severity) || {};
    const ranked = (entry) => {
      const [sev, full] = severityLine(zoo[String(entry.sample)]);
      return tile(entry.sample, [`#${entry.sample} y=${entry.label} ŷ=${entry.dense === null ? "?" : entry.dense}`,
        `s̄: ${fmt(entry.score, 2)}${entry.never ? ` (never ${Math.round(100 * entry.never)}%)` : ""}`, sev],
      `mean first-failure sparsity over models (never = 1): ${fmt(entry.score, 3)}\nmodels in which it never fails: ${Math.round(100 * entry.never)}%\nlowest severity at which most dense models fail it:\n${full}${difficultyLine(S, entry.sample)}`);
    };
    const why = S && S.lists ? `— no results for ${method}` : "— no fragility statistics in this study";
    fillTiles("samples-fragile", "samples-fragile-count", lists ? lists.fragile.map(ranked) : [], lists ? lists.fragile.length : null, why);
    fillTiles("samples-robust", "samples-robust-count", lists ? lists.robust.map(ranked) : [], lists ? lists.robust.length : null, why);
    const pie = (entry) => {
      const [sev, full] = severityLine(zoo[String(entry.sample)]);
      return tile(entry.sample, [`#${entry.sample} y=${entry.label} ŷ=${entry.dense === null ? "?" : entry.dense}`, `PIE from s=${entry.sparsity}`, sev],
        `modal prediction of pruned models differs from the dense models' from sparsity ${entry.sparsity} (${entry.count} sparsities)\n${full}${difficultyLine(S, entry.sample)}`);
    };
    const whyPie = S && S.pie ? `(none for ${method})` : "— no pruning-identified exemplars table in this study";
    const pieTiles = pies ? pies.map(pie) : [];
    fillTiles("samples-pie", "samples-pie-count", pieTiles, pies && pies.length ? pies.length : null, whyPie);
  }

  function renderSamples() { renderSelected(); renderLists(); }

  // ---- 4. Measures ----
  function renderHeatmap() {
    const M = DATA.measures, z = state.stat === "tau" ? M.tau : M.cmi;
    const tau = state.stat === "tau";
    const trace = {
      type: "heatmap", z, x: M.targets, y: M.measures, colorscale: tau ? "RdBu" : "Viridis", reversescale: tau,
      zmin: tau ? -1 : undefined, zmax: tau ? 1 : undefined, zmid: tau ? 0 : undefined,
      colorbar: { title: { text: tau ? "τ" : `CMI K${M.cmi_subset_size}` } },
      hovertemplate: "%{y}<br>%{x}<br>%{z:.3f}<extra></extra>",
    };
    const layout = {
      title: { text: tau ? "Kendall τ of measure with target" : `conditional mutual information (|S| = ${M.cmi_subset_size})` },
      height: Math.max(420, 16 * M.measures.length + 160), margin: { l: 200, t: 50, b: 140, r: 20 },
      yaxis: { autorange: "reversed", automargin: true }, xaxis: { tickangle: 30 },
    };
    Plotly.react("measures-heatmap", [trace], layout, CONFIG);
  }

  function renderScatter() {
    const M = DATA.measures, models = M.models;
    if (!models) { Plotly.react("measures-scatter", [], { title: { text: "no per-model measure values" } }, CONFIG); return; }
    const x = models.values[state.measure] || [], y = models.targets[state.target] || [];
    const groups = models.hparams[state.colourBy] || [];
    const levels = Array.from(new Set(groups)).sort();
    const traces = levels.map((level, k) => {
      const idx = groups.map((g, i) => (g === level && x[i] !== null && y[i] !== null ? i : -1)).filter((i) => i >= 0);
      return {
        type: "scatter", mode: "markers", name: `${state.colourBy}=${level}`, x: idx.map((i) => x[i]), y: idx.map((i) => y[i]),
        text: idx.map((i) => models.ids[i]), marker: { size: 9, color: color(k) },
        hovertemplate: "%{text}<br>" + state.measure + " %{x:.4g}<br>" + state.target + " %{y:.4g}<extra></extra>",
      };
    });
    const mi = M.measures.indexOf(state.measure), ti = M.targets.indexOf(state.target);
    const tau = mi >= 0 && ti >= 0 ? M.tau[mi][ti] : null;
    Plotly.react("measures-scatter", traces, {
      title: { text: `${state.measure} vs ${state.target} (τ = ${tau === null ? "n/a" : tau.toFixed(3)})` },
      xaxis: { title: { text: state.measure } }, yaxis: { title: { text: state.target } }, height: 520,
      margin: { t: 50, l: 70, r: 20, b: 50 }, legend: { title: { text: "colour" } },
    }, CONFIG);
  }

  function initMeasures() {
    const M = DATA.measures;
    if (!M) { missing("view-measures", "No Kendall τ table in this study (run the statistics stage): nothing to draw here."); return; }
    state.measure = M.measures[0]; state.target = M.targets[0];
    const stats = [{ value: "tau", label: "Kendall τ" }].concat(M.cmi ? [{ value: "cmi", label: `CMI (|S| = ${M.cmi_subset_size})` }] : []);
    fillSelect("measures-stat", stats, state.stat, (v) => { state.stat = v; renderHeatmap(); });
    const hp = M.models ? Object.keys(M.models.hparams) : [];
    state.colourBy = hp[0] || null;
    fillSelect("measures-colour", plain(hp), state.colourBy, (v) => { state.colourBy = v; renderScatter(); });
    renderHeatmap();
    renderScatter();
    $("measures-heatmap").on("plotly_click", (ev) => {
      const pt = ev && ev.points && ev.points[0];
      if (!pt) return;
      state.measure = pt.y; state.target = pt.x;
      renderScatter();
    });
  }

  // ---- 5. Activate-while-Pruning and dead neurons ----
  function byJob(cols) {
    const jobs = new Map();
    cols.job.forEach((j, i) => { if (!jobs.has(j)) jobs.set(j, []); jobs.get(j).push(i); });
    return jobs;
  }

  function initAp() {
    const A = DATA.ap;
    if (!A) { missing("view-ap", "No dead-neuron rates in the pruning table (a study run before they were recorded): nothing to draw here."); return; }
    const P = A.pairs, pairTraces = [];
    let k = 0;
    for (const [job, idx] of byJob(P)) {
      const pct = (v) => (v === null ? null : 100 * v);
      const y = idx.map((i) => pct(P.accuracy_diff[i]));
      pairTraces.push({
        x: idx.map((i) => P.sparsity[i]), y, name: job, type: "scatter", mode: "lines+markers", line: { color: color(k++) },
        error_y: { type: "data", symmetric: false, array: idx.map((i, j) => (P.ci_high[i] === null ? 0 : pct(P.ci_high[i]) - y[j])),
                   arrayminus: idx.map((i, j) => (P.ci_low[i] === null ? 0 : y[j] - pct(P.ci_low[i]))) },
        customdata: idx.map((i) => P.n_models[i]),
        hovertemplate: job + "<br>sparsity %{x:.4f}<br>AP − twin %{y:.2f} points<br>%{customdata} models<extra></extra>",
      });
    }
    Plotly.newPlot("ap-pairs", pairTraces, {
      title: { text: "Test accuracy, AP − without AP (points)" }, height: 400, margin: { t: 50, l: 60, r: 20, b: 50 },
      xaxis: { title: { text: "sparsity" } }, yaxis: { title: { text: "points" }, zeroline: true },
      annotations: pairTraces.length ? [] : [{ text: "no AP jobs in this study", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
    }, CONFIG);
    const D = A.dnr, dnrTraces = [];
    k = 0;
    for (const [job, idx] of byJob(D)) {
      dnrTraces.push({
        x: idx.map((i) => D.sparsity[i]), y: idx.map((i) => D.mean_dnr[i]), name: job, type: "scatter", mode: "lines+markers",
        line: { color: color(k++), dash: D.ap[idx[0]] ? "dash" : "solid" },
        hovertemplate: job + "<br>sparsity %{x:.4f}<br>DNR %{y:.4f}<extra></extra>",
      });
    }
    Plotly.newPlot("ap-dnr", dnrTraces, {
      title: { text: "Dead-neuron rate vs sparsity" }, height: 400, margin: { t: 50, l: 60, r: 20, b: 50 },
      xaxis: { title: { text: "sparsity" } }, yaxis: { title: { text: "fraction of ReLU outputs that are zero" } },
    }, CONFIG);
  }

  function initHeader() {
    $("title").textContent = `prunability explorer: ${DATA.study}`;
    $("subtitle").textContent = `${DATA.n_models} models; built ${DATA.built}.`;
    for (const note of DATA.notes) { const li = document.createElement("li"); li.textContent = note; $("notes").appendChild(li); }
  }

  initHeader();
  initMethods();
  initGeometry();
  renderSamples();
  initMeasures();
  initAp();
  window.explorer = { state, data: DATA, chooseMethod };
})();
