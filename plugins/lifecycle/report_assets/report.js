// Draws the report's charts into their <svg class="plot"> elements from the JSON embedded in
// the page (#report-data). No libraries, no network. Every data mark is an SVG element with a
// data-series attribute; each chart's <figure> gets data-status="drawn" (with data-marks, the
// number of marks), "empty" (nothing to show) or "error: <message>".
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const W = 880;
  const STAGE_COLORS = {
    prospect: "#bab0ac", new: "#56b4e9", active: "#009e73", reactivated: "#cc79a7",
    at_risk: "#e69f00", churned: "#d55e00",
  };
  const CHECK_COLORS = { passed: "#009e73", failed: "#d55e00", warned: "#e69f00" };
  const fmt = (n) => Number(n).toLocaleString("en-US");
  const pct = (x) => (x === null || x === undefined ? "–" : Math.round(x * 1000) / 10 + "%");

  function el(parent, name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  // A data mark: a rect with its series, value and a tooltip (<title>).
  function mark(parent, series, value, x, y, w, h, fill, tip) {
    const rect = el(parent, "rect", {
      class: "mark", "data-series": series, "data-value": value,
      x: x.toFixed(1), y: y.toFixed(1), width: Math.max(w, 0).toFixed(1),
      height: Math.max(h, 0).toFixed(1), fill: fill,
    });
    el(rect, "title", {}, tip);
    return rect;
  }

  function niceTicks(max, count) {
    if (max <= 0) return [0];
    const raw = max / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw);
    const ticks = [];
    for (let t = 0; t <= max + step * 1e-9; t += step) ticks.push(t);
    if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
    return ticks;
  }

  function yAxis(svg, ticks, left, right, y) {
    const g = el(svg, "g", { class: "axis" });
    for (const t of ticks) {
      el(g, "line", { x1: left, x2: right, y1: y(t), y2: y(t), class: "grid" });
      el(g, "text", { x: left - 6, y: y(t) + 4, "text-anchor": "end" }, fmt(t));
    }
  }

  function size(svg, height) {
    svg.setAttribute("viewBox", `0 0 ${W} ${height}`);
  }

  function legend(svg, items, y) {
    let x = 56;
    for (const [label, color] of items) {
      el(svg, "rect", { x: x, y: y - 10, width: 12, height: 12, fill: color, class: "key" });
      el(svg, "text", { x: x + 16, y: y, class: "legend" }, label);
      x += 24 + label.length * 7.5;
    }
  }

  function drawStages(svg, d) {
    const m = { l: 64, r: 16, t: 40, b: 40 }, H = 340;
    size(svg, H);
    const n = d.dates.length;
    const totals = d.dates.map((_, i) => d.stages.reduce((s, st) => s + d.series[st][i], 0));
    const ticks = niceTicks(Math.max(...totals), 5);
    const top = ticks[ticks.length - 1] || 1;
    const y = (v) => H - m.b - (v / top) * (H - m.t - m.b);
    yAxis(svg, ticks, m.l, W - m.r, y);
    legend(svg, d.stages.map((s) => [s.replace("_", " "), STAGE_COLORS[s] || "#999"]), 18);
    const band = (W - m.l - m.r) / n;
    let marks = 0;
    d.dates.forEach((day, i) => {
      let base = 0;
      for (const stage of d.stages) {
        const v = d.series[stage][i];
        mark(svg, stage, v, m.l + i * band + band * 0.1, y(base + v), band * 0.8,
          y(base) - y(base + v), STAGE_COLORS[stage] || "#999", `week to ${day}: ${stage} ${fmt(v)}`);
        base += v;
        marks += 1;
      }
      if (i % Math.ceil(n / 8) === 0 || i === n - 1) {
        el(svg, "text", { x: m.l + (i + 0.5) * band, y: H - m.b + 16, "text-anchor": "middle",
          class: "tick" }, day.slice(5));
      }
    });
    el(svg, "text", { x: m.l, y: H - 6, class: "note" }, `weeks ending ${d.dates[n - 1]}`);
    return marks;
  }

  function shade(rate, max) {
    const t = Math.min(rate / (max || 1), 1);
    const light = [239, 243, 255], dark = [8, 69, 148];
    const c = light.map((l, i) => Math.round(l + (dark[i] - l) * t));
    return { fill: `rgb(${c.join(",")})`, text: t > 0.55 ? "#fff" : "#111" };
  }

  function drawRetention(svg, d) {
    const m = { l: 110, r: 16, t: 40, b: 24 };
    const cw = Math.min(56, (W - m.l - m.r) / d.months), ch = 26;
    const H = m.t + ch * d.cohorts.length + m.b;
    size(svg, H);
    const later = d.cells.filter((c) => c.k > 0).map((c) => c.rate);
    const max = later.length ? Math.max(...later) : 1;
    el(svg, "text", { x: m.l, y: 14, class: "note" }, "months since first purchase →");
    for (let k = 0; k < d.months; k++) {
      el(svg, "text", { x: m.l + (k + 0.5) * cw, y: m.t - 8, "text-anchor": "middle",
        class: "tick" }, String(k));
    }
    d.cohorts.forEach((c, i) => {
      el(svg, "text", { x: m.l - 8, y: m.t + i * ch + ch / 2 + 4, "text-anchor": "end",
        class: "tick" }, `${c.month} (${fmt(c.size)})`);
    });
    let marks = 0;
    for (const c of d.cells) {
      const color = c.k === 0 ? { fill: "#d9d9d9", text: "#111" } : shade(c.rate, max);
      const cohort = d.cohorts[c.c];
      const rect = mark(svg, "retention", c.rate, m.l + c.k * cw + 1, m.t + c.c * ch + 1,
        cw - 2, ch - 2, color.fill,
        `${cohort.month} cohort, month ${c.k}: ${pct(c.rate)} (${fmt(c.retained)} of ` +
        `${fmt(cohort.size)})${c.partial ? ", month not over yet" : ""}`);
      if (c.partial) rect.setAttribute("class", "mark partial");
      rect.setAttribute("data-partial", String(c.partial));
      if (cw >= 34) {
        el(svg, "text", { x: m.l + (c.k + 0.5) * cw, y: m.t + c.c * ch + ch / 2 + 4,
          "text-anchor": "middle", fill: color.text, class: "cell" }, pct(c.rate));
      }
      marks += 1;
    }
    return marks;
  }

  function drawFunnel(svg, d) {
    const m = { l: 150, r: 260, t: 16, b: 16 }, row = 46;
    const steps = d.steps, H = m.t + row * steps.length + m.b;
    size(svg, H);
    const first = steps[0].customers || 1;
    const span = W - m.l - m.r;
    steps.forEach((s, i) => {
      const y0 = m.t + i * row;
      el(svg, "text", { x: m.l - 10, y: y0 + 22, "text-anchor": "end", class: "tick" },
        s.step.replace(/_/g, " "));
      mark(svg, "customers", s.customers, m.l, y0 + 6, (s.customers / first) * span, 26,
        "#0072b2", `${s.step}: ${fmt(s.customers)} (${pct(s.share_of_first)} of sign-ups)`);
      el(svg, "text", { x: m.l + (s.customers / first) * span + 8, y: y0 + 24, class: "value" },
        `${fmt(s.customers)} · ${pct(s.share_of_first)}`);
      if (i > 0) {
        el(svg, "text", { x: W - 8, y: y0 + 24, "text-anchor": "end", class: "lost" },
          `−${fmt(s.lost)} (${pct(s.share_lost)} lost)`);
      }
    });
    return steps.length;
  }

  function drawClv(svg, d) {
    const m = { l: 64, r: 16, t: 24, b: 48 }, H = 320;
    size(svg, H);
    const ticks = niceTicks(Math.max(...d.counts), 5);
    const top = ticks[ticks.length - 1] || 1;
    const y = (v) => H - m.b - (v / top) * (H - m.t - m.b);
    yAxis(svg, ticks, m.l, W - m.r, y);
    const n = d.counts.length, band = (W - m.l - m.r) / n;
    const money = (v) => "$" + fmt(Math.round(v));
    d.counts.forEach((v, i) => {
      const last = i === n - 1 && d.open_ended;
      const label = last ? `≥ ${money(d.edges[i])}` : `${money(d.edges[i])}–${money(d.edges[i + 1])}`;
      mark(svg, "customers", v, m.l + i * band + 1, y(v), band - 2, y(0) - y(v), "#0072b2",
        `${label}: ${fmt(v)} customers`);
      if (i % Math.ceil(n / 10) === 0 || i === n - 1) {
        el(svg, "text", { x: m.l + i * band, y: H - m.b + 16, "text-anchor": "middle",
          class: "tick" }, last ? `≥ ${money(d.edges[i])}` : money(d.edges[i]));
      }
    });
    el(svg, "text", { x: m.l, y: H - 8, class: "note" },
      `${d.label}, USD; ${fmt(d.n)} customers; median ${money(d.median)}`);
    return n;
  }

  function drawQuality(svg, d) {
    const m = { l: 200, r: 120, t: 56 }, row = 30;
    const H = m.t + row * (d.checks.length + 1.5 + Math.max(d.quarantine.length, 1)) + 12;
    size(svg, H);
    const ok = d.gate === "passed";
    el(svg, "text", { x: 16, y: 32, class: ok ? "gate pass" : "gate fail" },
      `Quality gate: ${d.gate.toUpperCase()}`);
    const span = W - m.l - m.r;
    const most = Math.max(1, ...d.checks.map((c) => c.count));
    let marks = 0, y0 = m.t;
    for (const c of d.checks) {
      el(svg, "text", { x: m.l - 10, y: y0 + 18, "text-anchor": "end", class: "tick" },
        `checks ${c.kind}`);
      mark(svg, "checks", c.count, m.l, y0 + 4, (c.count / most) * span, 20,
        CHECK_COLORS[c.kind], `${c.kind}: ${fmt(c.count)} checks`);
      el(svg, "text", { x: m.l + (c.count / most) * span + 8, y: y0 + 19, class: "value" },
        fmt(c.count));
      y0 += row;
      marks += 1;
    }
    y0 += row * 0.5;
    el(svg, "text", { x: 16, y: y0 + 10, class: "note" },
      "Quarantined rows per source table (to date; as-of day in the table below)");
    y0 += row * 0.5;
    if (!d.quarantine.length) {
      el(svg, "text", { x: m.l, y: y0 + 18, class: "note" }, "no rows quarantined");
    }
    const qmost = Math.max(1, ...d.quarantine.map((q) => q.to_date));
    for (const q of d.quarantine) {
      el(svg, "text", { x: m.l - 10, y: y0 + 18, "text-anchor": "end", class: "tick" }, q.table);
      mark(svg, "quarantined", q.to_date, m.l, y0 + 4, (q.to_date / qmost) * span, 20,
        "#999999", `${q.table}: ${fmt(q.to_date)} rows quarantined, ${fmt(q.as_of_day)} on the as-of day`);
      el(svg, "text", { x: m.l + (q.to_date / qmost) * span + 8, y: y0 + 19, class: "value" },
        fmt(q.to_date));
      y0 += row;
      marks += 1;
    }
    return marks;
  }

  const DRAW = {
    stages: drawStages, retention: drawRetention, funnel: drawFunnel, clv: drawClv,
    quality: drawQuality,
  };

  let report;
  try {
    report = JSON.parse(document.getElementById("report-data").textContent);
  } catch (e) {
    report = { charts: {}, error: String(e) };
  }
  for (const fig of document.querySelectorAll("figure[data-chart]")) {
    const name = fig.getAttribute("data-chart");
    const svg = fig.querySelector("svg.plot");
    try {
      if (report.error) throw new Error("report data unreadable: " + report.error);
      const data = report.charts[name];
      if (!data || !DRAW[name]) throw new Error("no data or drawing for chart " + name);
      if (!data.available) {
        size(svg, 60);
        el(svg, "text", { x: 16, y: 34, class: "note" }, "Not available: " + data.reason);
        fig.setAttribute("data-status", "empty");
        continue;
      }
      const marks = DRAW[name](svg, data);
      fig.setAttribute("data-marks", String(marks));
      fig.setAttribute("data-status", marks > 0 ? "drawn" : "empty");
    } catch (e) {
      fig.setAttribute("data-status", "error: " + (e && e.message ? e.message : String(e)));
    }
  }
  document.body.setAttribute("data-report", "done");
})();
