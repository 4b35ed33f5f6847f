// The radar page: every slider change asks the server to assess the policy
// with the changed scores (POST /api/v1/assess) and redraws the radar, the
// overall score, the organisation's verdict, the gates and every verdict
// from the answer. No reload.
"use strict";
(() => {
  // Dimensions that don't apply ("n/a") have a disabled slider and are never sent.
  const sliders = [...document.querySelectorAll("#sliders input[type=range]:not([disabled])")];
  const status = document.getElementById("status");
  const words = JSON.parse(document.getElementById("verdicts").dataset.words);
  let timer = null;
  let asked = 0;

  function overrides() {
    const radar = {};
    for (const s of sliders) {
      if (s.value !== s.dataset.fact) radar[s.name] = Number(s.value);
    }
    return radar;
  }

  function text(tag, content, className) {
    const el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  }

  function bullets(tag, items, className) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    el.append(...items.map((i) => text("li", i)));
    return el;
  }

  // The organisation's verdict, as organisation.html draws it.
  function renderOrganisation(o) {
    const section = document.getElementById("organisation");
    section.className = `org ${o.readiness}`;
    const h2 = text("h2", "Organisation: ");
    h2.append(text("span", words.readiness[o.readiness] || o.readiness, "readiness"));
    const groups = document.createElement("dl");
    groups.className = "groups";
    for (const [label, apps, cls] of [["Pin", o.pin, "pin"], ["Pin, with conditions", o.pin_with_conditions, "pin-with-conditions"],
      ["Not ready", o.not_ready, "not-ready"], ["Don't pin", o.dont_pin, "dont-pin"]]) {
      if (apps.length) groups.append(text("dt", label), text("dd", apps.join(", "), cls));
    }
    const parts = [h2, text("p", o.summary, "summary"), bullets("ul", o.why, "why"), groups];
    if (o.first_steps.length) parts.push(text("p", "First steps:"), bullets("ol", o.first_steps, "first-steps"));
    parts.push(text("p", "Alternatives, for everything not pinned:"), bullets("ul", o.alternatives, "alternatives"));
    section.replaceChildren(...parts);
  }

  function render(report) {
    document.getElementById("radar").innerHTML = report.radar_svg;
    document.getElementById("overall").textContent = report.overall;
    const whatIf = Object.keys(overrides()).length > 0;
    const mode = document.getElementById("mode");
    mode.textContent = whatIf ? "what-if: some scores set by hand" : "from the policy's facts";
    mode.classList.toggle("what-if", whatIf);
    renderOrganisation(report.organisation);
    const gates = document.getElementById("gates");
    gates.replaceChildren(...report.gates.map((g) =>
      text("li", `${words.gate[g.state] || g.state}: ${g.finding} [${g.rule}]`, g.closed ? `${g.state} closed` : g.state)));
    const rows = report.decisions.map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.app = d.application;
      tr.append(text("td", d.application), text("td", words.type[d.app_type] || d.app_type),
        text("td", words.verdict[d.verdict] || d.verdict, `verdict ${d.verdict}`), text("td", d.level || "—"),
        text("td", d.rules.join(", "), "rules"));
      return tr;
    });
    document.querySelector("#verdicts tbody").replaceChildren(...rows);
  }

  async function assess() {
    const ticket = ++asked;
    try {
      const response = await fetch("/api/v1/assess", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ radar: overrides(), svg: true }),
      });
      const body = await response.json();
      if (ticket !== asked) return; // a later change already asked again
      if (!response.ok) throw new Error(body.detail || response.statusText);
      status.textContent = "";
      render(body);
    } catch (e) {
      if (ticket === asked) status.textContent = `Could not reassess: ${e.message}`;
    }
  }

  function changed() {
    for (const s of sliders) document.getElementById(`v-${s.name}`).textContent = s.value;
    clearTimeout(timer);
    timer = setTimeout(assess, 60);
  }

  for (const s of sliders) s.addEventListener("input", changed);
  document.getElementById("reset").addEventListener("click", () => {
    for (const s of sliders) s.value = s.dataset.fact;
    changed();
  });

  // Scenarios: saved what-if scores, kept in the server's database.
  const list = document.getElementById("scenario-list");
  const nameInput = document.getElementById("scenario-name");
  async function call(method, name, body) {
    const response = await fetch(`/api/v1/scenarios/${encodeURIComponent(name)}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || response.statusText);
    }
    return response.status === 204 ? null : response.json();
  }
  async function refreshList(selected) {
    const response = await fetch("/api/v1/scenarios");
    const scenarios = await response.json();
    list.replaceChildren(...scenarios.map((s) => {
      const option = text("option", s.name);
      option.value = s.name;
      option.selected = s.name === selected;
      return option;
    }));
  }
  document.getElementById("scenario-save").addEventListener("click", async () => {
    const name = nameInput.value.trim();
    if (!name) { status.textContent = "Give the scenario a name first."; nameInput.focus(); return; }
    const radar = {};
    for (const s of sliders) radar[s.name] = Number(s.value);
    try {
      await call("PUT", name, { radar });
      await refreshList(name);
      status.textContent = "";
    } catch (e) { status.textContent = `Could not save: ${e.message}`; }
  });
  document.getElementById("scenario-load").addEventListener("click", async () => {
    if (!list.value) return;
    try {
      const scenario = await call("GET", list.value);
      for (const s of sliders) s.value = scenario.radar[s.name] ?? s.dataset.fact;
      changed();
    } catch (e) { status.textContent = `Could not load: ${e.message}`; }
  });
  document.getElementById("scenario-delete").addEventListener("click", async () => {
    if (!list.value) return;
    try {
      await call("DELETE", list.value);
      await refreshList();
    } catch (e) { status.textContent = `Could not delete: ${e.message}`; }
  });
})();
