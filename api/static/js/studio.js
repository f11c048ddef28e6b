/* The analyst studio: matter library and package upload, the modeler, the SLA dashboard. */
"use strict";
(() => {
  const { T, api, el, text, say, problemText } = OT;
  const $ = (id) => document.getElementById(id);
  if (!OT.requireLogin()) return;

  function listProblems(data) {
    const list = $("problems");
    list.innerHTML = "";
    const problems = data.problems || Object.entries(data.errors || {}).map(([k, v]) => ({ file: k, element: null, message: [].concat(v).join("; ") }));
    for (const p of problems) list.append(el("li", { class: "error", "data-element": p.element || "" },
      el("b", { text: p.file }), p.element ? ` · ${p.element}` : "", ` — ${p.message}`));
    return problems;
  }
  function mark(viewer, problems) {
    const registry = viewer.get("elementRegistry"), canvas = viewer.get("canvas");
    let marked = 0;
    for (const p of problems) if (p.element && registry.get(p.element)) { canvas.addMarker(p.element, "problem"); marked++; }
    return marked;
  }

  /* ---- library + upload ---- */
  if ($("library")) {
    (async () => {
      const res = await api("GET", "/api/matters");
      const body = $("library").querySelector("tbody");
      for (const m of res.data || []) {
        const versions = await api("GET", `/api/matters/${m.key}/versions`);
        body.append(el("tr", { "data-matter": m.key },
          el("td", { "data-label": T.matter }, el("b", { text: text(m.title, m.key) }), el("div", { class: "muted small", text: m.key })),
          el("td", { "data-label": T.version, text: "v" + m.version }),
          el("td", { "data-label": T.version, class: "small" }, (versions.data || []).map((v) => el("div", { text: `v${v.version} · ${OT.fmt(v.deployed_at)} · ${v.deployed_by || ""}` }))),
          el("td", {}, el("a", { class: "button", href: `/studio/matters/${m.key}/diagram`, text: T.open_modeler }))));
      }
    })();
    $("upload-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = $("package").files[0];
      if (!file) return;
      const body = new FormData();
      body.append("package", file);
      $("problems").innerHTML = "";
      $("problem-diagram").hidden = true; $("problem-legend").hidden = true;
      const res = await api("POST", "/api/matters", body);
      if (res.ok) { say("upload-message", `${T.deployed}: ${res.data.key} v${res.data.version}`); return; }
      say("upload-message", problemText({ detail: res.data.detail }), true);
      const problems = listProblems(res.data);
      if (!problems.some((p) => p.element)) return;
      const again = new FormData();
      again.append("package", file);
      const diagram = await api("POST", "/studio/data/package-diagram", again);
      if (!diagram.ok || !diagram.data.bpmn_xml || !window.BpmnJS) return;
      $("problem-diagram").hidden = false; $("problem-legend").hidden = false;
      $("problem-diagram").innerHTML = "";
      const viewer = new BpmnJS({ container: "#problem-diagram" });
      try {
        await viewer.importXML(diagram.data.bpmn_xml);
        viewer.get("canvas").zoom("fit-viewport");
        $("problem-diagram").dataset.marked = String(mark(viewer, problems));
      } catch (e) { $("problem-diagram").textContent = String(e.message || e); }
    });
    return;
  }

  /* ---- modeler ---- */
  if ($("modeler")) {
    const { key } = window.PAGE;
    const modeler = new BpmnJS({ container: "#modeler", keyboard: { bindTo: document } });
    window.studioModeler = modeler;
    let problemIds = [];
    async function open(version) {
      const res = await api("GET", `/studio/data/matters/${key}/diagram` + (version ? `?version=${version}` : ""));
      if (!res.ok) { say("modeler-message", problemText(res.data), true); return; }
      $("matter-title").textContent = text(res.data.title, key);
      $("matter-version").textContent = "v" + res.data.version;
      await modeler.importXML(res.data.bpmn_xml);
      modeler.get("canvas").zoom("fit-viewport");
      $("modeler").dataset.version = res.data.version;
      $("modeler").dataset.ready = "1";
    }
    $("deploy").addEventListener("click", async () => {
      const canvas = modeler.get("canvas");
      for (const id of problemIds) canvas.removeMarker(id, "problem");
      $("problems").innerHTML = "";
      const { xml } = await modeler.saveXML({ format: true });
      const res = await api("POST", `/studio/data/matters/${key}/diagram`, { bpmn_xml: xml });
      if (res.ok) {
        say("modeler-message", `${T.deployed}: ${res.data.key} v${res.data.version}`);
        $("matter-version").textContent = "v" + res.data.version;
        $("modeler").dataset.version = res.data.version;
        return;
      }
      say("modeler-message", problemText({ detail: res.data.detail }), true);
      const problems = listProblems(res.data);
      mark(modeler, problems);
      problemIds = problems.map((p) => p.element).filter(Boolean);
    });
    $("download").addEventListener("click", async () => {
      const { xml } = await modeler.saveXML({ format: true });
      const a = el("a", { href: URL.createObjectURL(new Blob([xml], { type: "application/xml" })), download: `${key}.bpmn` });
      document.body.append(a); a.click(); a.remove();
    });
    open();
    return;
  }

  /* ---- SLA dashboard ---- */
  if ($("kpis")) {
    const range = $("range");
    const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 1000) / 10}%`);
    function query() {
      const q = new URLSearchParams();
      // dates are local (Asia/Shanghai) days; `to` is inclusive on the page
      if (range.elements.from.value) q.set("from", `${range.elements.from.value}T00:00:00+08:00`);
      if (range.elements.to.value) {
        const end = new Date(`${range.elements.to.value}T00:00:00+08:00`);
        end.setUTCDate(end.getUTCDate() + 1);
        q.set("to", end.toISOString());
      }
      return q;
    }
    /* horizontal bars: rows [{label, values: [{v, color, label}]}], max */
    function bars(id, rows, max, format) {
      const box = $(id);
      box.innerHTML = "";
      if (!rows.length) { box.append(el("p", { class: "muted", text: T.none_yet })); return; }
      const ns = "http://www.w3.org/2000/svg", rowH = 30, labelW = 130, width = 400, barW = width - labelW - 60;
      const height = rows.reduce((h, r) => h + rowH * r.values.length + 6, 6);
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
      svg.setAttribute("role", "img");
      let y = 6;
      const node = (tag, attrs, content) => {
        const n = document.createElementNS(ns, tag);
        for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
        if (content !== undefined) n.textContent = content;
        svg.append(n);
        return n;
      };
      for (const r of rows) {
        node("text", { x: 0, y: y + 20 }, r.label.length > 8 ? r.label.slice(0, 8) + "…" : r.label).append(
          Object.assign(document.createElementNS(ns, "title"), { textContent: r.label }));
        for (const v of r.values) {
          const w = max ? Math.max(0, (v.v || 0) / max) * barW : 0;
          node("rect", { x: labelW, y: y + 5, width: Math.max(w, 1), height: rowH - 10, fill: v.color, rx: 3 });
          node("text", { x: labelW + Math.max(w, 1) + 5, y: y + 20 }, format(v.v));
          y += rowH;
        }
        y += 6;
      }
      box.append(svg);
    }
    const titles = {};
    const matterTitle = (key) => titles[key] || key;
    async function load() {
      if (!Object.keys(titles).length) {
        const list = await api("GET", "/api/matters");
        for (const m of list.data || []) titles[m.key] = text(m.title, m.key);
      }
      const q = query();
      const res = await api("GET", "/api/metrics?" + q);
      if (!res.ok) { say("metrics-message", problemText(res.data), true); return; }
      say("metrics-message", "");
      const m = res.data, total = m.total;
      const kpis = $("kpis");
      kpis.innerHTML = "";
      for (const [label, value] of [[T.cases, total.cases], [T.on_time_rate, pct(total.on_time_rate)], [T.yellow, total.yellow], [T.red, total.red],
        [T.rating_mean, total.ratings.mean === null ? "—" : total.ratings.mean]])
        kpis.append(el("div", { class: "kpi" }, el("span", { class: "muted small", text: label }), el("b", { text: String(value) })));
      const matters = Object.entries(m.matters), depts = Object.entries(m.departments);
      bars("chart-matter-ontime", matters.map(([k, f]) => ({ label: matterTitle(k), values: [{ v: f.on_time_rate, color: "#15803d" }] })), 1, pct);
      bars("chart-dept-ontime", depts.map(([k, f]) => ({ label: OT.dept(k), values: [{ v: f.on_time_rate, color: "#1d4ed8" }] })), 1, pct);
      const maxCards = Math.max(1, ...depts.map(([, f]) => Math.max(f.yellow, f.red)));
      bars("chart-dept-cards", depts.map(([k, f]) => ({ label: OT.dept(k), values: [{ v: f.yellow, color: "#eab308" }, { v: f.red, color: "#dc2626" }] })), maxCards, (v) => String(v));
      bars("chart-matter-rating", matters.map(([k, f]) => ({ label: matterTitle(k), values: [{ v: f.ratings.mean, color: "#b91c1c" }] })), 5, (v) => (v === null || v === undefined ? "—" : String(v)));
    }
    range.addEventListener("submit", (e) => { e.preventDefault(); load(); });
    $("csv").addEventListener("click", () => OT.download("/studio/data/metrics.csv?" + query(), "metrics.csv"));
    $("xlsx").addEventListener("click", () => OT.download("/studio/data/metrics.xlsx?" + query(), "metrics.xlsx"));
    load();
  }
})();
