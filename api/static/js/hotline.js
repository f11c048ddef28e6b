/* The 12345 line's pages: the public report form, the caller's visit, the agent console,
   the visit console and the leaders' dashboard (SPEC §8). The server checks everything. */
"use strict";
(() => {
  const { T, api, el, text, say, problemText, fmt } = OT;
  const $ = (id) => document.getElementById(id);
  const textNode = document.getElementById("hotline-text");
  const H = textNode ? JSON.parse(textNode.textContent) : {};

  /* ---- pickers shared by the forms ---- */
  async function categoryPicker(root, onChange) {
    const res = await api("GET", "/api/categories", undefined, { auth: false });
    const all = (res.data || []).filter((c) => c.active);
    const levels = [...root.querySelectorAll("select")];
    const fill = (select, parent) => {
      select.innerHTML = "";
      const options = all.filter((c) => (c.parent || null) === parent);
      select.append(el("option", { value: "", text: parent ? H.any_sub : T.choose }));
      for (const c of options) select.append(el("option", { value: c.code, text: text(c.name, c.code) }));
      select.disabled = !options.length;
    };
    fill(levels[0], null);
    levels.forEach((select, i) => select.addEventListener("change", () => {
      for (let j = i + 1; j < levels.length; j++) { levels[j].innerHTML = ""; levels[j].disabled = true; }
      if (select.value && levels[i + 1]) fill(levels[i + 1], select.value);
      onChange && onChange();
    }));
    return { value: () => [...levels].reverse().map((s) => s.value).find(Boolean) || "" };
  }

  async function regionPicker(root, onChange) {
    const res = await api("GET", "/api/departments", undefined, { auth: false });
    const units = (res.data || []).filter((u) => u.active && u.region_code);
    const kinds = [["government"], ["street"], ["community"]];
    const levels = [...root.querySelectorAll("select")];
    const fill = (select, parentCode, depth) => {
      select.innerHTML = "";
      const wanted = kinds[depth];
      const options = units.filter((u) => wanted.includes(u.kind) && u.region_code.length === 6 + 3 * depth
        && (!parentCode || u.region_code.startsWith(parentCode)) && (depth > 0 || u.region_code.slice(4) !== "00"));
      select.append(el("option", { value: "", text: depth ? H.any_sub : T.choose }));
      for (const u of options) select.append(el("option", { value: u.region_code, text: text(u.name, u.key) }));
      select.disabled = !options.length;
    };
    fill(levels[0], null, 0);
    levels.forEach((select, i) => select.addEventListener("change", () => {
      for (let j = i + 1; j < levels.length; j++) { levels[j].innerHTML = ""; levels[j].disabled = true; }
      if (select.value && levels[i + 1]) fill(levels[i + 1], select.value, i + 1);
      onChange && onChange();
    }));
    return { value: () => [...levels].reverse().map((s) => s.value).find(Boolean) || "" };
  }

  function requestBody(form, category, region, channel) {
    const v = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
    const body = {
      channel, type: v("type"), category: category.value(), title: v("title"), content: v("content"),
      urgency: v("urgency") || "normal",
      caller: { phone: v("phone") }, location: { address: v("address"), region: region.value() },
    };
    if (v("name")) body.caller.name = v("name");
    if (form.elements.anonymous && form.elements.anonymous.checked) body.anonymous = true;
    return body;
  }

  function showErrors(form, errors) {
    form.querySelectorAll(".field.invalid").forEach((n) => n.classList.remove("invalid"));
    form.querySelectorAll("[data-error-for]").forEach((n) => { n.textContent = ""; });
    for (const [key, messages] of Object.entries(errors || {})) {
      const target = form.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
      if (target) { target.textContent = [].concat(messages).join("; "); target.closest(".field").classList.add("invalid"); }
    }
  }

  /* ---- the public report form (phone first) ---- */
  const report = $("report-form");
  if (report) {
    (async () => {
      const category = await categoryPicker($("category-picker"));
      const region = await regionPicker($("region-picker"));
      report.addEventListener("submit", async (e) => {
        e.preventDefault();
        const button = $("report-submit");
        button.disabled = true;
        const res = await api("POST", "/api/requests", requestBody(report, category, region, "web"), { auth: false });
        button.disabled = false;
        if (res.ok) {
          location.href = `/cases/${res.data.case_no}?code=${encodeURIComponent(res.data.query_code)}&new=1`;
          return;
        }
        showErrors(report, res.data.errors);
        say("report-message", res.status === 422 ? T.submit_failed : problemText(res.data), true);
      });
      report.dataset.ready = "1";
    })();
  }

  /* ---- the caller's visit, on the progress page ---- */
  const visit = $("caller-visit");
  if (visit) visit.addEventListener("submit", async (e) => {
    e.preventDefault();
    const pick = (name) => (visit.querySelector(`input[name=${name}]:checked`) || {}).value;
    const body = { contacted: pick("contacted") === "yes", resolved: pick("resolved") === "yes", satisfaction: pick("satisfaction") };
    const { case_no, code } = window.CASE;
    const res = await api("POST", `/api/requests/${case_no}/visit?code=${encodeURIComponent(code)}`, body, { auth: false });
    if (res.ok) location.reload(); else say("visit-message", problemText(res.data), true);
  });

  const staffPage = document.body.classList.contains("staff");
  if (!staffPage) return;
  if (!OT.requireLogin()) return;

  /* ---- the agent console ---- */
  const intake = $("intake-form");
  if (intake) {
    (async () => {
      let timer = null;
      const refresh = () => { clearTimeout(timer); timer = setTimeout(() => { proposal(); duplicates(); }, 250); };
      const category = await categoryPicker($("category-picker"), refresh);
      const region = await regionPicker($("region-picker"), refresh);
      intake.elements.phone.addEventListener("input", refresh);
      intake.elements.address.addEventListener("input", refresh);

      async function proposal() {
        const box = $("proposal");
        if (!category.value() || !region.value()) { box.textContent = H.proposal_wait; box.dataset.unit = ""; return; }
        const res = await api("GET", `/api/routing/hotline/resolve?category=${category.value()}&region=${region.value()}`);
        const unit = res.ok ? res.data.department : null;
        box.dataset.unit = unit || "";
        box.textContent = unit ? `${H.proposal}：${OT.dept(unit)}` : H.proposal_none;
      }
      async function duplicates() {
        const list = $("duplicates");
        const phone = intake.elements.phone.value.trim(), where = region.value();
        const queries = [];
        if (phone.length >= 6) queries.push(`phone=${encodeURIComponent(phone)}`);
        if (where.length >= 9) queries.push(`region=${where.slice(0, 9)}`);
        const found = new Map();
        for (const q of queries) {
          const res = await api("GET", `/api/requests?${q}`);
          for (const r of res.data || []) found.set(r.case_no, r);
        }
        list.innerHTML = "";
        if (!found.size) list.append(el("li", { class: "muted", text: H.no_duplicates }));
        for (const r of found.values()) list.append(el("li", { "data-candidate": r.case_no },
          el("b", { text: r.title }), el("div", { class: "small muted", text: `${r.case_no} · ${r.address} · ${fmt(r.created_at)} · ${OT.dept(r.unit || "")}` })));
        list.dataset.count = String(found.size);
      }

      intake.addEventListener("submit", async (e) => {
        e.preventDefault();
        const res = await api("POST", "/api/requests", requestBody(intake, category, region, intake.elements.channel.value));
        if (!res.ok) { showErrors(intake, res.data.errors); say("intake-message", res.status === 422 ? T.submit_failed : problemText(res.data), true); return; }
        showErrors(intake, {});
        say("intake-message", `${H.received}：${res.data.case_no}（${H.code} ${res.data.query_code}）`);
        showReceipt(res.data, intake.elements.type.value);
      });

      function showReceipt(receipt, type) {
        const box = $("after-intake");
        box.hidden = false;
        box.dataset.case = receipt.case_no;
        $("answer-box").hidden = type !== "consultation";
        const links = $("link-to");
        links.innerHTML = "";
        for (const li of document.querySelectorAll("#duplicates li[data-candidate]")) {
          const to = li.dataset.candidate;
          if (to === receipt.case_no) continue;
          links.append(el("button", { type: "button", class: "secondary", "data-link": to, text: `${H.link_to} ${to}`, onclick: async () => {
            const r = await api("POST", `/api/requests/${receipt.case_no}/link`, { to });
            say("intake-message", r.ok ? H.linked : problemText(r.data), !r.ok);
          } }));
        }
      }
      $("answer").addEventListener("click", async () => {
        const case_no = $("after-intake").dataset.case, reply = $("answer-text").value.trim();
        if (!reply) return say("intake-message", T.reason_required, true);
        const r = await api("POST", `/api/requests/${case_no}/answer`, { reply });
        say("intake-message", r.ok ? H.answered : problemText(r.data), !r.ok);
      });
      intake.dataset.ready = "1";
    })();
    return;
  }

  /* ---- the visit console ---- */
  const visits = $("visits");
  if (visits) {
    (async () => {
      const units = ((await api("GET", "/api/departments", undefined, { auth: false })).data || []).filter((u) => u.active);
      const res = await api("GET", "/api/tasks?state=ready");
      const claimed = await api("GET", "/api/tasks?state=claimed");
      const tasks = [...(res.data || []), ...(claimed.data || [])].filter((t) => t.task === "visit");
      const body = visits.querySelector("tbody");
      if (!tasks.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "muted", text: T.no_tasks })));
      for (const t of tasks) {
        const c = (await api("GET", `/api/cases/${t.case_no}`)).data || {};
        const handled = (c.tasks || []).filter((x) => x.task === "handle" && x.kind === "process" && x.state === "completed").pop();
        const radio = (name, value, label, checked) => el("label", {}, el("input", { type: "radio", name: `${name}-${t.id}`, value, checked }), label);
        const reopenTo = el("select", { name: `reopen_to-${t.id}` }, el("option", { value: "", text: H.same_unit }),
          units.map((u) => el("option", { value: u.key, text: text(u.name, u.key) })));
        const form = el("form", { class: "visit-form", "data-task-id": t.id },
          el("fieldset", {}, el("legend", { text: H.contacted }), radio("contacted", "yes", T.yes, true), radio("contacted", "no", T.no)),
          el("fieldset", {}, el("legend", { text: H.resolved }), radio("resolved", "yes", T.yes, true), radio("resolved", "no", T.no)),
          el("fieldset", {}, el("legend", { text: H.satisfaction }), radio("satisfaction", "satisfied", H.satisfied, true),
            radio("satisfaction", "basically", H.basically), radio("satisfaction", "unsatisfied", H.unsatisfied)),
          el("div", { class: "check" }, el("input", { type: "checkbox", id: `reopen-${t.id}`, name: `reopen-${t.id}` }), el("label", { for: `reopen-${t.id}`, text: H.reopen })),
          reopenTo, el("input", { type: "text", name: `reason-${t.id}`, placeholder: H.reopen_reason }),
          el("button", { type: "submit", text: H.record_visit }));
        form.addEventListener("submit", async (e) => {
          e.preventDefault();
          const pick = (name) => form.querySelector(`input[name=${name}-${t.id}]:checked`).value;
          const data = { contacted: pick("contacted") === "yes", resolved: pick("resolved") === "yes", satisfaction: pick("satisfaction") };
          if (form.querySelector(`#reopen-${t.id}`).checked) {
            data.reopen = true;
            if (reopenTo.value) data.reopen_to = reopenTo.value;
            const reason = form.querySelector(`input[name=reason-${t.id}]`).value.trim();
            if (reason) data.reason = reason;
          }
          if (t.state === "ready") await api("POST", `/api/tasks/${t.id}/claim`);
          const r = await api("POST", `/api/tasks/${t.id}/complete`, { data });
          if (r.ok) { form.closest("tr").dataset.done = "1"; form.replaceWith(el("span", { class: "badge ok", text: T.done })); }
          else say("visit-message", problemText(r.data), true);
        });
        body.append(el("tr", { "data-case": t.case_no },
          el("td", { "data-label": T.case }, el("a", { href: `/staff/cases/${t.case_no}`, text: t.case_no })),
          el("td", { "data-label": H.unit, text: OT.dept(handled ? handled.department : "") }),
          el("td", { "data-label": H.reply, text: handled && handled.data ? handled.data.reply : "—" }),
          el("td", {}, form)));
      }
      visits.dataset.loaded = "1";
    })();
    return;
  }

  /* ---- the leaders' dashboard ---- */
  const board = $("ranking");
  if (board) {
    const period = $("period"), level = $("level");
    let rows = [];
    const pct = (x) => (x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%");
    async function loadRanking() {
      const res = await api("GET", `/api/rankings?kind=request&level=${level.value}&period=${period.value}`);
      const body = board.querySelector("tbody");
      body.innerHTML = "";
      if (!res.ok) return say("board-message", problemText(res.data), true);
      rows = res.data.rows;
      if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: T.none_yet })));
      for (const r of rows) {
        const change = r.change === null ? "" : r.change > 0 ? ` ↑${r.change}` : r.change < 0 ? ` ↓${-r.change}` : " →";
        body.append(el("tr", { "data-unit": r.unit },
          el("td", { "data-label": H.rank, text: r.rank ?? "—" }), el("td", { "data-label": H.unit, text: text(r.name, r.unit) }),
          el("td", { "data-label": H.visited, text: r.visited }), el("td", { "data-label": H.response_rate, text: pct(r.response_rate) }),
          el("td", { "data-label": H.resolution_rate, text: pct(r.resolution_rate) }), el("td", { "data-label": H.satisfaction_rate, text: pct(r.satisfaction_rate) }),
          el("td", { "data-label": H.score, text: r.score ?? "—" }), el("td", { "data-label": H.previous_rank, text: `${r.previous_rank ?? "—"}${change}` })));
      }
      board.dataset.loaded = "1";
    }
    async function loadTrend() {
      const res = await api("GET", "/api/rankings/trend?months=12");
      const svg = $("trend");
      svg.innerHTML = "";
      const data = res.data || [];
      const W = 600, Hh = 180, pad = 24;
      const x = (i) => pad + (i * (W - 2 * pad)) / Math.max(1, data.length - 1);
      const y = (v) => Hh - pad - v * (Hh - 2 * pad);
      const ns = "http://www.w3.org/2000/svg";
      const line = (key, color) => {
        const points = data.map((d, i) => (d[key] === null ? null : `${x(i)},${y(d[key])}`)).filter(Boolean).join(" ");
        const p = document.createElementNS(ns, "polyline");
        p.setAttribute("points", points); p.setAttribute("fill", "none"); p.setAttribute("stroke", color); p.setAttribute("stroke-width", "2");
        svg.append(p);
        data.forEach((d, i) => {
          if (d[key] === null) return;
          const dot = document.createElementNS(ns, "circle");
          dot.setAttribute("cx", x(i)); dot.setAttribute("cy", y(d[key])); dot.setAttribute("r", "3"); dot.setAttribute("fill", color);
          svg.append(dot);
        });
      };
      line("response_rate", "#1d4ed8"); line("resolution_rate", "#15803d"); line("satisfaction_rate", "#b91c1c");
      data.forEach((d, i) => { if (i % 2 === 0) { const t = document.createElementNS(ns, "text"); t.setAttribute("x", x(i)); t.setAttribute("y", Hh - 4); t.setAttribute("font-size", "10"); t.setAttribute("text-anchor", "middle"); t.textContent = d.period.slice(2); svg.append(t); } });
      $("trend-table").innerHTML = "";
      $("trend-table").append(...data.map((d) => el("tr", {}, el("td", { text: d.period }), el("td", { text: pct(d.response_rate) }), el("td", { text: pct(d.resolution_rate) }), el("td", { text: pct(d.satisfaction_rate) }))));
    }
    async function loadSpots(by, within, box) {
      const q = `period=${period.value}&by=${by}&depth=10` + (within ? `&within=${within}` : "");
      const res = await api("GET", `/api/requests/hotspots?${q}`);
      box.innerHTML = "";
      const crumbs = el("p", { class: "small" }, el("a", { href: "#", text: H.top_level, onclick: (e) => { e.preventDefault(); loadSpots(by, null, box); } }));
      if (within) crumbs.append(` › ${within}`);
      box.append(crumbs);
      const rowsSpots = (res.data && res.data.rows) || [];
      const max = Math.max(1, ...rowsSpots.map((r) => r.count));
      if (!rowsSpots.length) box.append(el("p", { class: "muted", text: T.none_yet }));
      for (const r of rowsSpots) {
        const change = r.change === null ? "" : ` ${H.mom} ${(r.change * 100).toFixed(0)}%`;
        const flags = [r.persistent ? H.persistent : null, r.rising ? H.rising : null].filter(Boolean).join(" ");
        box.append(el("div", { class: "bar-row", "data-code": r.code },
          el("a", { href: "#", class: "bar-label", text: text(r.name, r.code), onclick: (e) => { e.preventDefault(); loadSpots(by, r.code, box); } }),
          el("span", { class: "bar", style: `width:${Math.round((r.count / max) * 100)}%` }),
          el("span", { class: "small", text: `${r.count}${change} ${flags}` })));
      }
      box.dataset.loaded = "1";
    }
    function exportCsv() {
      const head = [H.rank, H.unit, H.visited, H.response_rate, H.resolution_rate, H.satisfaction_rate, H.score, H.previous_rank];
      const lines = [head, ...rows.map((r) => [r.rank ?? "", text(r.name, r.unit), r.visited, pct(r.response_rate), pct(r.resolution_rate), pct(r.satisfaction_rate), r.score ?? "", r.previous_rank ?? ""])];
      const csv = "\ufeff" + lines.map((l) => l.map((c) => `"${String(c).replace(/"/g, '""')}"`).join(",")).join("\n");
      const a = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `ranking-${level.value}-${period.value}.csv` });
      document.body.append(a); a.click(); a.remove();
    }
    const all = () => { loadRanking(); loadSpots("category", null, $("spots-category")); loadSpots("region", null, $("spots-region")); };
    period.addEventListener("change", all);
    level.addEventListener("change", loadRanking);
    $("export").addEventListener("click", exportCsv);
    all();
    loadTrend();
  }
})();
