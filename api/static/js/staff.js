/* The staff workbench: login, worklist, the task page and the case page. */
"use strict";
(() => {
  const { T, api, el, badge, fmt, text, say, problemText, schemaForm, formFacts } = OT;
  const $ = (id) => document.getElementById(id);

  /* ---- login ---- */
  const loginForm = $("login-form");
  if (loginForm) {
    loginForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const username = loginForm.elements.username.value.trim();
      const res = await api("POST", "/api/auth/login", { username, password: loginForm.elements.password.value }, { auth: false });
      if (!res.ok) { say("login-message", problemText(res.data), true); return; }
      OT.setLogin(res.data.token, username);
      const next = new URLSearchParams(location.search).get("next");
      location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/staff/";
    });
    return;
  }
  if (!document.body.classList.contains("staff") || !OT.requireLogin()) return;

  /* ---- worklist ---- */
  const worklist = $("worklist");
  if (worklist) {
    const filters = $("filters");
    (async () => {
      const me = await api("GET", "/api/me");
      if (me.ok) for (const d of me.data.departments) $("f-department").append(el("option", { value: d, text: OT.dept(d) }));
    })();
    let generation = 0;  // a filter change while a load is under way: only the newest counts
    async function load() {
      const mine = ++generation;
      worklist.dataset.loaded = "";
      const q = new URLSearchParams();
      for (const name of ["department", "state", "warning"]) if (filters.elements[name].value) q.set(name, filters.elements[name].value);
      const view = filters.elements.view.value;  // the dispatcher's, the supervisors', the assists
      if (view === "returned" || view === "disputed") q.set(view, "true");
      if (view === "assist") q.set("kind", "assist");
      const res = await api("GET", "/api/tasks?" + q);
      if (mine !== generation) return;
      const body = worklist.querySelector("tbody");
      worklist.dataset.loaded = "";
      body.innerHTML = "";
      if (!res.ok) { say("work-message", problemText(res.data), true); return; }
      say("work-message", "");
      const rows = res.data.slice().sort((a, b) => (a.due_at || "9").localeCompare(b.due_at || "9"));
      if (filters.elements.sort.value === "desc") rows.reverse();
      if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: T.no_tasks })));
      for (const t of rows) {
        const handle = `/staff/cases/${t.case_no}/tasks/${t.id}`;
        const actions = el("td", {});
        if (t.state === "ready") actions.append(el("button", { type: "button", class: "secondary", "data-claim": t.id, text: T.claim, onclick: async () => {
          const r = await api("POST", `/api/tasks/${t.id}/claim`);
          if (r.ok) location.href = handle; else say("work-message", problemText(r.data), true);
        } }));
        if (t.state !== "completed") actions.append(el("a", { class: "button", href: handle, text: T.handle }));
        else actions.append(el("a", { class: "button secondary", href: `/staff/cases/${t.case_no}`, text: T.view }));
        body.append(el("tr", { class: "sla-" + t.warning, "data-task-id": t.id, "data-case": t.case_no, "data-task": t.task },
          el("td", { "data-label": T.sla }, badge(t.warning, T.warning[t.warning] || t.warning)),
          el("td", { "data-label": T.case }, el("a", { href: `/staff/cases/${t.case_no}`, text: t.case_no })),
          el("td", { "data-label": T.matter, text: text(t.matter.title, t.matter.key) }),
          el("td", { "data-label": T.task }, t.name,
            t.kind === "assist" ? badge("assist", T.assist) : null,
            t.returns ? badge("returned", T.returned_times.replace("{n}", t.returns)) : null,
            t.disputed ? badge("red", T.disputed) : null,
            t.dispatch_failed ? badge("yellow", T.dispatch_failed) : null),
          el("td", { "data-label": T.department, text: OT.dept(t.department) }),
          el("td", { "data-label": T.state }, badge(t.state, T.task_state[t.state] || t.state),
            t.case_status && t.case_status !== "in_progress" && t.case_status !== "submitted" ? badge(t.case_status, T.status[t.case_status]) : null),
          el("td", { "data-label": T.due, text: fmt(t.due_at) }),
          actions));
      }
      worklist.dataset.loaded = "1";
    }
    filters.addEventListener("change", load);
    load();
    return;
  }

  /* ---- task page ---- */
  if ($("output-form")) {
    const { case_no, task_id } = window.PAGE;
    let output = null, current = null;
    async function load(message) {
      const [caseRes, pageRes] = await Promise.all([api("GET", `/api/cases/${case_no}`), api("GET", `/staff/data/cases/${case_no}/tasks/${task_id}`)]);
      if (!caseRes.ok || !pageRes.ok) { say("task-message", problemText((caseRes.ok ? pageRes : caseRes).data), true); return; }
      const c = caseRes.data, info = pageRes.data;
      current = c.tasks.find((t) => t.id === task_id);
      $("task-title").textContent = `${current.name} · ${text(info.department_name, info.department)}`;
      const summary = $("task-summary");
      summary.innerHTML = "";
      summary.append(el("dl", { class: "facts" },
        el("dt", { text: T.case }), el("dd", {}, el("a", { href: `/staff/cases/${case_no}`, text: case_no }), " ", text(c.matter.title)),
        el("dt", { text: T.state }), el("dd", { id: "task-state", "data-state": current.state, "data-case-status": c.status },
          T.task_label + " ", badge(current.state, T.task_state[current.state]), " · " + T.case_label + " ", badge(c.status, T.status[c.status]), " ", badge(current.warning, T.warning[current.warning])),
        el("dt", { text: T.assignee }), el("dd", { text: current.assignee || "—" }),
        el("dt", { text: T.due }), el("dd", { text: fmt(current.due_at) })));
      const visible = $("visible-form");
      visible.innerHTML = "";
      visible.append(el("p", { class: "muted small", text: `${c.applicant.name || ""} · ${c.applicant.phone || ""}` }), formFacts(c.form, info.form_schema));
      if (!output) {
        output = schemaForm($("output-fields"), info.form || { type: "object", properties: {} }, "o");
        const box = $("materials");
        for (const m of info.materials) box.append(el("div", { class: "check field" },
          el("input", { type: "checkbox", id: "m-" + m.id, value: m.id, name: "missing" }), el("label", { for: "m-" + m.id, text: text(m.title, m.id) })));
      }
      // what the server would allow; it still decides (a 409 names the state)
      const open = current.state === "ready" || current.state === "claimed";
      const working = open && (c.status === "submitted" || c.status === "in_progress");
      $("claim").hidden = current.state !== "ready";
      $("unclaim").hidden = current.state !== "claimed";
      $("complete").disabled = !working || current.state !== "claimed";
      $("request-supplement").disabled = !working;
      $("suspend").disabled = !open || c.status !== "in_progress";
      $("refuse").disabled = !open || !["submitted", "in_progress", "awaiting_supplement"].includes(c.status);
      $("resume").hidden = c.status !== "suspended";
      const assist = current.kind === "assist";
      for (const id of ["supplement-box", "suspend-box", "refuse-box"]) $(id).hidden = assist;
      await showDispatch(c, open && !assist);
      if (message) say("task-message", message);
    }

    /* dispatch (派单), return (退单), summon (吹哨): SPEC §7 */
    let units = null;
    async function showDispatch(c, open) {
      const withDispatcher = current.dispatcher && current.department === current.dispatcher;
      $("dispatch-box").hidden = !(open && withDispatcher);
      $("return-box").hidden = !(open && current.dispatcher && !withDispatcher);
      $("summon-box").hidden = !open;
      if (!units && (open)) {
        const res = await api("GET", "/api/departments", undefined, { auth: false });
        units = res.ok ? res.data.filter((u) => u.active) : [];
        const select = $("dispatch-unit");
        select.append(el("option", { value: "", text: T.choose }));
        for (const u of units) select.append(el("option", { value: u.key, text: `${text(u.name, u.key)}（${u.key}）` }));
        const box = $("summon-units");
        for (const u of units) box.append(el("div", { class: "check", "data-name": text(u.name, u.key) + " " + u.key },
          el("input", { type: "checkbox", id: "s-" + u.key, value: u.key, name: "summoned" }),
          el("label", { for: "s-" + u.key, text: text(u.name, u.key) })));
      }
      $("dispatch-note").textContent = current.disputed ? T.dispute_note : T.dispatch_note.replace("{unit}", OT.dept(current.department));
      for (const box of document.querySelectorAll("#summon-units .check")) box.hidden = box.querySelector("input").value === current.department;
      const assists = c.tasks.filter((t) => t.parent_id === task_id);
      const list = $("assist-list");
      list.innerHTML = "";
      for (const a of assists) list.append(el("li", { "data-assist": a.department }, `${OT.dept(a.department)} · `, badge(a.state, T.task_state[a.state]), " " + T.due + " " + fmt(a.due_at)));
    }
    $("summon-filter").addEventListener("input", (e) => {
      const word = e.target.value.trim();
      for (const box of document.querySelectorAll("#summon-units .check")) box.classList.toggle("filtered", !!word && !box.dataset.name.includes(word));
    });
    $("dispatch-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const department = $("dispatch-unit").value, reason = $("dispatch-reason").value.trim();
      if (!reason) return say("task-message", T.reason_required, true);
      // the task leaves the dispatcher for its unit: back to the worklist
      const res = await api("POST", `/api/tasks/${task_id}/dispatch`, { department, reason, restart_clock: $("dispatch-restart").checked });
      if (!res.ok) return say("task-message", problemText(res.data), true);
      location.href = "/staff/";
    });
    $("return-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const reason = $("return-reason").value.trim();
      if (!reason) return say("task-message", T.reason_required, true);
      // the task leaves this unit: back to the worklist
      const res = await api("POST", `/api/tasks/${task_id}/return`, { reason });
      if (!res.ok) return say("task-message", problemText(res.data), true);
      location.href = "/staff/";
    });
    $("summon-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const departments = [...document.querySelectorAll("input[name=summoned]:checked")].map((n) => n.value);
      const reason = $("summon-reason").value.trim();
      if (!departments.length) return say("task-message", T.units_required, true);
      if (!reason) return say("task-message", T.reason_required, true);
      act("summon", { departments, reason, due: { workdays: Number($("summon-days").value) } });
    });
    async function act(path, body, after) {
      const res = await api("POST", `/api/tasks/${task_id}/${path}`, body);
      if (!res.ok) {
        if (path === "complete" && output.showErrors(res.data.errors, "data/")) say("task-message", T.submit_failed, true);
        else say("task-message", problemText(res.data), true);
        return false;
      }
      await load(T.done);
      if (after) after();
      return true;
    }
    $("claim").addEventListener("click", () => act("claim"));
    $("unclaim").addEventListener("click", () => act("unclaim"));
    $("output-form").addEventListener("submit", (e) => { e.preventDefault(); output.clearErrors(); act("complete", { data: output.collect() }); });
    $("supplement-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const missing = [...document.querySelectorAll("input[name=missing]:checked")].map((n) => n.value)
        .concat($("other-missing").value.split("\n").map((s) => s.trim()).filter(Boolean));
      const reason = $("supplement-reason").value.trim();
      if (!missing.length) return say("task-message", T.missing_required, true);
      if (!reason) return say("task-message", T.reason_required, true);
      act("supplement", { reason, missing });
    });
    $("suspend-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const reason = $("suspend-reason").value.trim();
      if (!reason) return say("task-message", T.reason_required, true);
      act("suspend", { kind: $("suspend-kind").value, reason });
    });
    $("resume").addEventListener("click", () => act("resume"));
    $("refuse-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const reason = $("refuse-reason").value.trim();
      if (!reason) return say("task-message", T.reason_required, true);
      if (confirm(T.confirm_refuse)) act("refuse", { reason });
    });
    load();
    return;
  }

  /* ---- case page ---- */
  if ($("case-summary")) {
    const { case_no } = window.PAGE;
    (async () => {
      const res = await api("GET", `/api/cases/${case_no}`);
      if (!res.ok) { $("case-summary").textContent = problemText(res.data); return; }
      const c = res.data;
      $("case-summary").append(el("dl", { class: "facts" },
        el("dt", { text: T.state }), el("dd", { id: "case-status", "data-status": c.status }, badge(c.status, T.status[c.status]), " ", badge(c.warning, T.warning[c.warning])),
        el("dt", { text: T.matter }), el("dd", { text: text(c.matter.title) + " v" + c.matter.version }),
        el("dt", { text: T.due }), el("dd", { text: fmt(c.due_at) })));
      const tasks = $("case-tasks").querySelector("tbody");
      for (const t of c.tasks) tasks.append(el("tr", { class: "sla-" + t.warning, "data-task": t.task },
        el("td", { "data-label": T.department, text: OT.dept(t.department) }), el("td", { "data-label": T.task, text: t.name }),
        el("td", { "data-label": T.state }, badge(t.state, T.task_state[t.state])), el("td", { "data-label": T.assignee, text: t.assignee || "—" }),
        el("td", { "data-label": T.due, text: fmt(t.due_at) }), el("td", { "data-label": T.sla }, badge(t.warning, T.warning[t.warning]))));
      const history = $("history").querySelector("tbody");
      for (const h of c.history.slice().reverse()) history.append(el("tr", {},
        el("td", { "data-label": T.at, text: fmt(h.at) }), el("td", { "data-label": T.event, text: (T.events || {})[h.kind] || h.kind }),
        el("td", { "data-label": T.actor, text: h.actor }), el("td", { "data-label": T.data, text: h.text || "" })));
      const diagram = await api("GET", `/api/cases/${case_no}/diagram`);
      if (diagram.ok && window.BpmnJS) {
        const viewer = new BpmnJS({ container: "#diagram" });
        await viewer.importXML(diagram.data.bpmn_xml);
        const canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        for (const id of diagram.data.completed) if (registry.get(id)) canvas.addMarker(id, "completed");
        for (const id of diagram.data.active) if (registry.get(id)) canvas.addMarker(id, "active");
        $("diagram").dataset.ready = "1";
      }
    })();
  }
})();
