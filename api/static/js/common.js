/* Shared by every page: calling the JSON API, the staff token, dates, and the
   JSON Schema form renderer (the server re-validates everything it is sent). */
"use strict";
const OT = (() => {
  const T = window.T || {};
  const tokenKey = "onething.token", userKey = "onething.user";

  function token() { return localStorage.getItem(tokenKey); }
  function setLogin(tok, user) { localStorage.setItem(tokenKey, tok); localStorage.setItem(userKey, user); }
  function logout() { localStorage.removeItem(tokenKey); localStorage.removeItem(userKey); location.href = "/staff/login"; }
  function requireLogin() {
    if (!token()) { location.href = "/staff/login?next=" + encodeURIComponent(location.pathname + location.search); return false; }
    const who = document.getElementById("who"), out = document.getElementById("logout");
    if (who) who.textContent = localStorage.getItem(userKey) || "";
    if (out) { out.hidden = false; out.onclick = (e) => { e.preventDefault(); logout(); }; }
    return true;
  }

  async function api(method, url, body, opts = {}) {
    const headers = Object.assign({ "Accept": "application/json" }, opts.headers || {});
    if (opts.auth !== false && token()) headers["Authorization"] = "Bearer " + token();
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    let res;
    try { res = await fetch(url, { method, headers, body: payload }); }
    catch (e) { return { ok: false, status: 0, data: { detail: T.network } }; }
    if (res.status === 401 && opts.auth !== false && !opts.noRedirect) { logout(); return { ok: false, status: 401, data: {} }; }
    const type = res.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await res.json() : await res.blob();
    return { ok: res.ok, status: res.status, data };
  }

  function fmt(iso) {
    if (!iso) return "—";
    if (!/(Z|[+-]\d\d:?\d\d)$/.test(iso)) iso += "Z";  // stored in UTC
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    // shown in the matters' time zone (Asia/Shanghai, UTC+8), whatever the device says
    let s = new Date(d.getTime() + 8 * 3600 * 1000);
    // a deadline at local midnight is the end (24:00) of the day before, as the law counts it
    if (endOfDay(s)) { s = new Date(s.getTime() - 60 * 1000); return `${s.getUTCFullYear()}-${p(s.getUTCMonth() + 1)}-${p(s.getUTCDate())} 24:00`; }
    return `${s.getUTCFullYear()}-${p(s.getUTCMonth() + 1)}-${p(s.getUTCDate())} ${p(s.getUTCHours())}:${p(s.getUTCMinutes())}`;
  }
  function endOfDay(s) { return s.getUTCHours() === 0 && s.getUTCMinutes() === 0 && s.getUTCSeconds() === 0; }
  function dept(key) { return (window.DEPARTMENTS || {})[key] || key; }
  /* jsonschema's English messages, said plainly in the page's language */
  function friendly(message) {
    const rules = [[/is required/, T.msg_required], [/does not match/, T.msg_format], [/is not of type/, T.msg_type],
      [/less than|greater than|minimum|maximum/, T.msg_range], [/is too short|should be non-empty/, T.msg_short],
      [/is too long|expected at most/, T.msg_long], [/is not valid under any of the given schemas|is not one of/, T.msg_choice]];
    for (const [re, said] of rules) if (re.test(message) && said) return said;
    return message;
  }
  function text(t, fallback) {
    if (!t) return fallback || "";
    if (typeof t === "string") return t;
    return t[T.lang] || t.zh || Object.values(t)[0] || fallback || "";
  }
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : document.createTextNode(String(c)));
    return node;
  }
  function badge(kind, label) { return el("span", { class: "badge " + kind, text: label }); }
  function say(id, message, isError) {
    const box = document.getElementById(id);
    if (!box) return;
    box.textContent = message || "";
    box.className = isError ? "error-box" : "notice";
  }
  function problemText(data) {
    if (!data) return T.network;
    const parts = [data.detail || data.title || ""];
    if (data.errors) for (const [k, v] of Object.entries(data.errors)) parts.push(`${k}: ${[].concat(v).join("; ")}`);
    return parts.filter(Boolean).join(" — ");
  }

  /* ---- JSON Schema forms -------------------------------------------------- */
  function choices(schema) {
    if (Array.isArray(schema.oneOf) && schema.oneOf.every((o) => "const" in o))
      return schema.oneOf.map((o) => [o.const, o.title || String(o.const)]);
    if (Array.isArray(schema.enum)) return schema.enum.map((v) => [v, String(v)]);
    return null;
  }
  function fieldId(prefix, path) { return (prefix + "-" + path).replace(/[^A-Za-z0-9_-]/g, "_"); }

  function renderField(prefix, name, schema, path, required, opts) {
    const title = schema.title || name;
    if (schema.type === "object" && schema.properties) {
      const fs = el("fieldset", { "data-path": path, class: "field" }, el("legend", { text: title }));
      const req = new Set(opts.optional ? [] : (schema.required || []));
      for (const [k, sub] of Object.entries(schema.properties)) fs.append(renderField(prefix, k, sub, path ? `${path}/${k}` : k, req.has(k), opts));
      fs.append(el("div", { class: "error", "data-error-for": path }));
      return fs;
    }
    const id = fieldId(prefix, path);
    const wrap = el("div", { class: path.includes("/") ? "field" : "field form-top", "data-path": path });
    const label = el("label", { for: id, text: title });
    if (required) label.append(el("span", { class: "req", title: T.required, text: "*" }));
    const list = choices(schema);
    let input;
    if (schema.type === "boolean") {
      input = el("input", { type: "checkbox", id, name: path, "data-type": "boolean" });
      wrap.append(el("div", { class: "check" }, input, label));
    } else if (list) {
      input = el("select", { id, name: path, "data-type": schema.type || "string" },
        el("option", { value: "", text: T.choose }), list.map(([v, t]) => el("option", { value: JSON.stringify(v), text: t })));
      input.dataset.json = "1";
      wrap.append(label, input);
    } else if (schema.type === "number" || schema.type === "integer") {
      input = el("input", { type: "number", id, name: path, step: schema.type === "integer" ? "1" : "any", "data-type": schema.type, inputmode: "decimal" });
      wrap.append(label, input);
    } else if ((schema.maxLength || 0) > 200) {
      input = el("textarea", { id, name: path, "data-type": "string" });
      wrap.append(label, input);
    } else {
      input = el("input", { type: "text", id, name: path, "data-type": "string" });
      wrap.append(label, input);
    }
    if (schema.description) wrap.append(el("div", { class: "muted small", text: schema.description }));
    wrap.append(el("div", { class: "error", "data-error-for": path }));
    return wrap;
  }

  /* Render a schema into `container`; returns {collect(), showErrors(errors, prefix), fill(data)}. */
  function schemaForm(container, schema, prefix, opts = {}) {
    container.innerHTML = "";
    const req = new Set(opts.optional ? [] : (schema.required || []));
    for (const [k, sub] of Object.entries(schema.properties || {})) container.append(renderField(prefix, k, sub, k, req.has(k), opts));
    const root = el("div", { class: "error", "data-error-for": "" });
    container.append(root);

    function collect() {
      const out = {};
      for (const input of container.querySelectorAll("[data-type]")) {
        let value;
        if (input.dataset.type === "boolean") value = input.checked;
        else if (input.value === "") continue;
        else if (input.dataset.json) value = JSON.parse(input.value);
        else if (input.dataset.type === "number" || input.dataset.type === "integer") value = Number(input.value);
        else value = input.value;
        if (opts.optional && input.dataset.type === "boolean" && !input.checked) continue;
        const parts = input.name.split("/");
        let target = out;
        for (const p of parts.slice(0, -1)) target = target[p] = target[p] || {};
        target[parts[parts.length - 1]] = value;
      }
      return out;
    }
    function clearErrors() {
      container.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
      container.querySelectorAll("[data-error-for]").forEach((n) => { n.textContent = ""; });
    }
    /* errors: {"form/shop/area": [...]} from the server; strip `strip` ("form/") */
    function showErrors(errors, strip) {
      clearErrors();
      let shown = 0, first = null;
      for (const [key, messages] of Object.entries(errors || {})) {
        if (strip && !(key === strip.replace(/\/$/, "") || key.startsWith(strip))) continue;
        let path = strip ? key.slice(strip.length) : key;
        if (key === strip.replace(/\/$/, "")) path = "";
        let target = container.querySelector(`[data-error-for="${CSS.escape(path)}"]`);
        while (!target && path.includes("/")) { path = path.slice(0, path.lastIndexOf("/")); target = container.querySelector(`[data-error-for="${CSS.escape(path)}"]`); }
        target = target || root;
        const said = [].concat(messages).map(friendly).join("; ");
        target.textContent = [target.textContent, said].filter(Boolean).join("; ");
        target.title = [].concat(messages).join("; ");
        const field = target.closest(".field");
        if (field) { field.classList.add("invalid"); first = first || field; }
        shown++;
      }
      if (first) first.scrollIntoView({ block: "center" });
      return shown;
    }
    function fill(data, base = "") {
      for (const [k, v] of Object.entries(data || {})) {
        const path = base ? `${base}/${k}` : k;
        if (v && typeof v === "object" && !Array.isArray(v)) { fill(v, path); continue; }
        const input = container.querySelector(`[name="${CSS.escape(path)}"]`);
        if (!input) continue;
        if (input.dataset.type === "boolean") input.checked = !!v;
        else if (input.dataset.json) input.value = JSON.stringify(v);
        else input.value = v;
      }
    }
    return { collect, showErrors, clearErrors, fill };
  }

  /* A read-only view of (part of) a form, titled from its schema. */
  function formFacts(data, schema) {
    const dl = el("dl", { class: "facts" });
    for (const [k, v] of Object.entries(data || {})) {
      const sub = (schema && schema.properties && schema.properties[k]) || {};
      dl.append(el("dt", { text: sub.title || k }));
      if (v && typeof v === "object" && !Array.isArray(v)) dl.append(el("dd", {}, formFacts(v, sub)));
      else {
        const list = choices(sub);
        const shown = list ? (list.find(([c]) => c === v) || [v, v])[1] : (v === true ? T.yes : v === false ? T.no : v);
        dl.append(el("dd", { text: String(shown) }));
      }
    }
    return dl;
  }

  async function download(url, filename) {
    const res = await api("GET", url);
    if (!res.ok) return res;
    const a = el("a", { href: URL.createObjectURL(res.data), download: filename });
    document.body.append(a); a.click(); a.remove();
    return res;
  }

  return { T, dept, friendly, token, setLogin, logout, requireLogin, api, fmt, text, el, badge, say, problemText, schemaForm, formFacts, download };
})();
