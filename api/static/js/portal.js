/* The applicant's pages: the one form, 补正, withdrawal and rating. */
"use strict";
(() => {
  const { T, api, say, schemaForm, problemText } = OT;
  document.querySelectorAll("[data-time]").forEach((n) => { n.textContent = OT.fmt(n.dataset.time); });
  const schemaNode = document.getElementById("form-schema");
  const schema = schemaNode ? JSON.parse(schemaNode.textContent) : null;

  /* the one form */
  const apply = document.getElementById("apply");
  if (apply) {
    const form = schemaForm(document.getElementById("form-fields"), schema, "f");
    const idempotencyKey = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    const applicantErrors = () => apply.querySelectorAll('[data-error-for^="applicant"]');
    apply.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = document.getElementById("submit");
      button.disabled = true;
      const applicant = {};
      for (const name of ["name", "id_type", "id_number", "phone"]) applicant[name] = apply.elements[name].value.trim();
      const res = await api("POST", `/api/matters/${encodeURIComponent(window.MATTER_KEY)}/cases`,
        { applicant, form: form.collect() }, { auth: false, headers: { "Idempotency-Key": idempotencyKey } });
      button.disabled = false;
      if (res.ok) {
        location.href = `/cases/${res.data.case_no}/receipt?code=${encodeURIComponent(res.data.query_code)}`;
        return;
      }
      const errors = res.data.errors || {};
      applicantErrors().forEach((n) => { n.textContent = ""; n.closest(".field").classList.remove("invalid"); });
      for (const [key, messages] of Object.entries(errors)) {
        const target = apply.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
        if (key.startsWith("applicant") && target) { target.textContent = messages.join("; "); target.closest(".field").classList.add("invalid"); }
      }
      form.showErrors(errors, "form/");
      say("apply-message", res.status === 422 ? T.submit_failed : problemText(res.data), true);
    });
  }

  const CASE = window.CASE;
  const query = CASE ? `?code=${encodeURIComponent(CASE.code)}` : "";

  /* 补正 */
  const supplement = document.getElementById("supplement-form");
  if (supplement) {
    const patch = schemaForm(document.getElementById("patch-fields"), schema, "p", { optional: true });
    supplement.addEventListener("submit", async (event) => {
      event.preventDefault();
      const res = await api("POST", `/api/cases/${CASE.case_no}/supplement${query}`,
        { form: patch.collect(), note: supplement.elements.note.value.trim() || null }, { auth: false });
      if (res.ok) { location.href = `/cases/${CASE.case_no}${query}`; return; }
      if (patch.showErrors(res.data.errors, "form/")) supplement.querySelector("details").open = true;
      say("supplement-message", problemText(res.data), true);
    });
  }

  /* withdrawal */
  const withdraw = document.getElementById("withdraw");
  if (withdraw) withdraw.addEventListener("click", async () => {
    if (!confirm(T.confirm_withdraw)) return;
    const res = await api("POST", `/api/cases/${CASE.case_no}/withdraw${query}`, {}, { auth: false });
    if (res.ok) location.reload(); else say("withdraw-message", problemText(res.data), true);
  });

  /* 好差评 */
  const rate = document.getElementById("rate-form");
  if (rate) rate.addEventListener("submit", async (event) => {
    event.preventDefault();
    const score = Number(rate.querySelector("input[name=score]:checked").value);
    const res = await api("POST", `/api/cases/${CASE.case_no}/rating${query}`,
      { score, comment: rate.elements.comment.value.trim() || null }, { auth: false });
    if (res.ok) location.reload(); else say("rate-message", problemText(res.data), true);
  });
})();
