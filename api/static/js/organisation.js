/* The organisation page: the unit tree, and an admin's changes to it (SPEC §7). */
"use strict";
(() => {
  const { T, api, el, text, say, problemText } = OT;
  const $ = (id) => document.getElementById(id);
  if (!OT.requireLogin()) return;
  const KINDS = { government: "政府", department: "部门", street: "街道/乡镇", community: "社区/村", grid: "网格", center: "中心" };
  let units = [], selected = null;

  for (const select of [$("u-kind"), $("c-kind")])
    for (const [key, name] of Object.entries(KINDS)) select.append(el("option", { value: key, text: name }));

  async function load(keep) {
    const res = await api("GET", "/api/departments", undefined, { auth: false });
    if (!res.ok) { say("org-message", problemText(res.data), true); return; }
    units = res.data;
    drawTree();
    const again = keep && units.find((u) => u.key === keep);
    if (again) choose(again); else { $("unit-form").hidden = true; $("child-form").hidden = true; }
    $("tree").dataset.loaded = "1";
  }

  function drawTree() {
    const byParent = new Map();
    for (const u of units) {
      const parent = u.parent || "";
      if (!byParent.has(parent)) byParent.set(parent, []);
      byParent.get(parent).push(u);
    }
    const branch = (parent) => {
      const children = byParent.get(parent) || [];
      if (!children.length) return null;
      return el("ul", {}, children.map((u) => el("li", { "data-unit": u.key },
        el("button", { type: "button", class: "unit" + (u.active ? "" : " inactive"), "data-key": u.key,
          "aria-current": selected && selected.key === u.key ? "true" : "false", onclick: () => choose(u) },
          `${text(u.name, u.key)}`, el("span", { class: "muted small", text: ` ${KINDS[u.kind] || u.kind}` })),
        branch(u.key))));
    };
    const tree = $("tree");
    tree.innerHTML = "";
    tree.append(branch("") || el("p", { class: "muted", text: T.none_yet }));
  }

  function choose(u) {
    selected = u;
    for (const b of document.querySelectorAll("#tree button.unit")) b.setAttribute("aria-current", b.dataset.key === u.key ? "true" : "false");
    $("unit-form").hidden = false;
    $("child-form").hidden = false;
    $("unit-title").textContent = text(u.name, u.key);
    $("unit-key").textContent = `${u.key} · ${u.path.join(" / ")}`;
    $("u-name").value = u.name.zh || "";
    $("u-name-en").value = u.name.en || "";
    $("u-kind").value = u.kind;
    $("u-region").value = u.region_code || "";
    $("u-active").checked = u.active;
    const parent = $("u-parent");
    parent.innerHTML = "";
    parent.append(el("option", { value: "", text: "—" }));
    // a unit cannot move below itself: its own subtree is left out of the choice
    for (const p of units) if (!p.path.includes(u.key)) parent.append(el("option", { value: p.key, text: `${text(p.name, p.key)}（${p.key}）` }));
    parent.value = u.parent || "";
  }

  function nameOf(zh, en) { return en ? { zh, en } : { zh }; }

  $("unit-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: nameOf($("u-name").value.trim(), $("u-name-en").value.trim()), kind: $("u-kind").value,
      region_code: $("u-region").value.trim() || null, parent: $("u-parent").value || null, active: $("u-active").checked };
    const res = await api("PATCH", `/api/departments/${selected.key}`, body);
    if (!res.ok) { say("org-message", problemText(res.data), true); return; }
    say("org-message", T.saved);
    await load(selected.key);
  });

  $("child-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { key: $("c-key").value.trim(), name: { zh: $("c-name").value.trim() }, kind: $("c-kind").value,
      parent: selected.key, region_code: $("c-region").value.trim() || null };
    const res = await api("POST", "/api/departments", body);
    if (!res.ok) { say("org-message", problemText(res.data), true); return; }
    say("org-message", T.saved);
    $("child-form").reset();
    await load(res.data.key);
  });
  load();
})();
