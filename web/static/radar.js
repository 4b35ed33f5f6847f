// The radar page: every slider change asks the server to assess the policy
// with the changed scores (POST /api/v1/assess) and redraws the radar, the
// overall score, the gates and every verdict from the answer. No reload.
"use strict";
(() => {
  const sliders = [...document.querySelectorAll("#sliders input[type=range]")];
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

  function render(report) {
    document.getElementById("radar").innerHTML = report.radar_svg;
    document.getElementById("overall").textContent = report.overall;
    const whatIf = Object.keys(overrides()).length > 0;
    const mode = document.getElementById("mode");
    mode.textContent = whatIf ? "what-if: some scores set by hand" : "from the policy's facts";
    mode.classList.toggle("what-if", whatIf);
    const gates = document.getElementById("gates");
    gates.replaceChildren(...report.gates.map((g) =>
      text("li", `${g.closed ? "applies" : "passed"}: ${g.rule}`, g.closed ? "closed" : "passed")));
    const rows = report.decisions.map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.app = d.application;
      tr.append(text("td", d.application), text("td", d.app_type),
        text("td", words[d.verdict] || d.verdict, `verdict ${d.verdict}`), text("td", d.level || "—"));
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
