// The radar page. A slider's move redraws the radar, the overall score and
// the grade in the page at once (the same drawing and weighted mean as the
// server's), marks the moved slider and writes the scores into the address
// (?ca-agility=75), then asks the server to assess the policy with the
// changed scores (POST /api/v1/assess, no wait) and redraws the
// organisation's verdict, the gates and every verdict from the answer,
// marking the verdicts that differ from the facts'. When the server can't
// answer, the sliders go back to the scores of the last answer. No reload.
"use strict";
(() => {
  // Dimensions that don't apply ("n/a") have a disabled slider and are never sent.
  const all = [...document.querySelectorAll("#sliders input[type=range]")];
  const sliders = all.filter((s) => !s.disabled);
  const status = document.getElementById("status");
  const table = document.getElementById("verdicts");
  const words = JSON.parse(table.dataset.words);
  const factVerdicts = Object.fromEntries([...table.querySelectorAll("tbody tr")].map((r) => [r.dataset.app, r.dataset.factVerdict]));
  let asked = 0;
  let answered = 0;
  // The scores of the last answer the server gave: where sliders go back to.
  let good = Object.fromEntries(sliders.map((s) => [s.name, s.value]));

  const SVG = "http://www.w3.org/2000/svg";
  const R = 105, LABEL_R = 126, FONT = 18;

  function overrides() {
    const radar = {};
    for (const s of sliders) {
      if (s.value !== s.dataset.fact) radar[s.name] = Number(s.value);
    }
    return radar;
  }

  // The weighted mean of the scores that apply, rounded half up as the server does.
  function overall() {
    let sum = 0, total = 0;
    for (const s of sliders) {
      const w = Number(s.dataset.weight);
      sum += Number(s.value) * w;
      total += w;
    }
    return total === 0 ? 0 : Math.floor((sum + Math.floor(total / 2)) / total);
  }

  function grade(score) {
    return score >= 85 ? "A" : score >= 70 ? "B" : score >= 55 ? "C" : score >= 40 ? "D" : "F";
  }

  function point(i, n, fraction) {
    const angle = (2 * Math.PI * i) / n - Math.PI / 2;
    return [R * fraction * Math.cos(angle), R * fraction * Math.sin(angle)];
  }
  const fixed = (v) => (Math.round(v * 10) / 10).toFixed(1).replace(/\.0$/, ".0");
  function polygon(fractions) {
    return fractions.map((f, i) => point(i, fractions.length, f).map(fixed).join(",")).join(" ");
  }
  function el(tag, attrs, content) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (content !== undefined) e.textContent = content;
    return e;
  }

  // The radar as pages.rs draws it (radar_chart): rings with values, the
  // facts' outline under the fill, a dot on each moved score.
  function drawRadar(score) {
    const n = all.length;
    const axes = all.map((s) => ({
      short: s.dataset.short, applies: !s.disabled,
      value: s.disabled ? 0 : Number(s.value), fact: Number(s.dataset.fact),
    }));
    const svg = el("svg", { viewBox: "-250 -170 500 335", role: "img", "aria-labelledby": "radar-title radar-desc" });
    svg.append(el("title", { id: "radar-title" }, `PKI Health Radar, overall ${score} of 100`));
    svg.append(el("desc", { id: "radar-desc" }, axes.map((a) => !a.applies ? `${a.short}: n/a`
      : a.value === a.fact ? `${a.short}: ${a.value}` : `${a.short}: ${a.value}, facts ${a.fact}`).join("; ")));
    for (const ring of [0.25, 0.5, 0.75, 1]) svg.append(el("polygon", { class: "ring", points: polygon(axes.map(() => ring)) }));
    for (let i = 0; i < n; i++) {
      const [x, y] = point(i, n, 1);
      svg.append(el("line", { class: "spoke", x1: 0, y1: 0, x2: fixed(x), y2: fixed(y) }));
    }
    svg.append(el("polygon", { class: "facts-outline", points: polygon(axes.map((a) => a.fact / 100)) }));
    svg.append(el("polygon", { class: "scores", points: polygon(axes.map((a) => a.value / 100)) }));
    for (const ring of [25, 50, 75, 100]) {
      svg.append(el("text", { class: "ring-label", x: 4, y: fixed((-R * ring) / 100 + 6), "font-size": FONT }, String(ring)));
    }
    axes.forEach((a, i) => {
      const moved = a.applies && a.value !== a.fact;
      if (moved) {
        const [x, y] = point(i, n, a.value / 100);
        svg.append(el("circle", { class: "moved-dot", cx: fixed(x), cy: fixed(y), r: 6 }));
      }
      const angle = (2 * Math.PI * i) / n - Math.PI / 2;
      const c = Math.cos(angle), s = Math.sin(angle);
      const lx = LABEL_R * c;
      let ly = LABEL_R * s;
      const anchor = Math.abs(c) < 0.2 ? "middle" : c > 0 ? "start" : "end";
      ly += s < -0.7 ? -22 : s > 0.7 ? 4 : -9;
      const text = el("text", { class: moved ? "axis-label moved" : "axis-label", x: fixed(lx), y: fixed(ly), "font-size": FONT, "text-anchor": anchor });
      text.append(el("tspan", { x: fixed(lx) }, a.short));
      text.append(el("tspan", { class: "value", x: fixed(lx), dy: 20 },
        !a.applies ? "n/a" : moved ? `${a.value}, was ${a.fact}` : String(a.value)));
      svg.append(text);
    });
    const figure = document.getElementById("radar");
    figure.querySelector("svg").replaceWith(svg);
  }

  // Everything the page can say without the server: sliders, radar, score, address.
  function drawLocal() {
    for (const s of sliders) {
      document.getElementById(`v-${s.name}`).textContent = s.value;
      const moved = s.value !== s.dataset.fact;
      s.closest(".slider").classList.toggle("moved", moved);
      s.closest(".slider").querySelector(".was").textContent = moved ? `facts say ${s.dataset.fact}. ` : "";
    }
    const score = overall();
    document.getElementById("overall").textContent = score;
    const g = document.getElementById("grade");
    g.textContent = grade(score);
    g.className = `grade grade-${grade(score)}`;
    const whatIf = Object.keys(overrides()).length > 0;
    const mode = document.getElementById("mode");
    mode.textContent = whatIf ? "what-if: some scores set by hand" : "from the policy's facts";
    mode.classList.toggle("what-if", whatIf);
    drawRadar(score);
    const query = new URLSearchParams(Object.entries(overrides()).map(([k, v]) => [k, String(v)])).toString();
    history.replaceState(null, "", query ? `${location.pathname}?${query}` : location.pathname);
  }

  function text(tag, content, className) {
    const e = document.createElement(tag);
    e.textContent = content;
    if (className) e.className = className;
    return e;
  }

  function bullets(tag, items, className) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    e.append(...items.map((i) => text("li", i)));
    return e;
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

  function cell(tag, label, content, className) {
    const c = text(tag, content, className);
    c.dataset.label = label;
    return c;
  }

  function render(report) {
    // The server's figures win: they are the same, unless the policy changed.
    document.getElementById("overall").textContent = report.overall;
    renderOrganisation(report.organisation);
    const gates = document.getElementById("gates");
    gates.replaceChildren(...report.gates.map((g) =>
      text("li", `${words.gate[g.state] || g.state}: ${g.finding} [${g.rule}]`, g.closed ? `${g.state} closed` : g.state)));
    let changed = 0;
    const count = { pin: 0, "pin-with-conditions": 0, "not-ready": 0, "dont-pin": 0 };
    const rows = report.decisions.map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.app = d.application;
      const fact = factVerdicts[d.application];
      tr.dataset.factVerdict = fact;
      count[d.verdict] = (count[d.verdict] || 0) + 1;
      const differs = fact !== undefined && fact !== d.verdict;
      if (differs) { tr.className = "changed"; changed++; }
      const name = cell("th", "application", "");
      name.scope = "row";
      const link = text("a", d.application);
      link.href = `/applications#app-${encodeURIComponent(d.application)}`;
      name.append(link);
      tr.append(name, cell("td", "type", words.type[d.app_type] || d.app_type),
        cell("td", "verdict", words.verdict[d.verdict] || d.verdict, `verdict ${d.verdict}`), cell("td", "level", d.level || "—"),
        cell("td", "decided by", d.rules.join(", "), "rules"),
        cell("td", "by the facts", differs ? `was ${words.verdict[fact] || fact}` : "same", "was"));
      return tr;
    });
    table.querySelector("tbody").replaceChildren(...rows);
    const tally = document.getElementById("tally");
    tally.textContent = `${count.pin} pin · ${count["pin-with-conditions"]} with conditions · ${count["not-ready"]} not ready · ${count["dont-pin"]} don't pin`;
    if (changed) tally.append(" · ", text("strong", `${changed} changed`));
    table.dataset.assessed = String(++answered);
  }

  async function assess() {
    const ticket = ++asked;
    const sent = Object.fromEntries(sliders.map((s) => [s.name, s.value]));
    try {
      const response = await fetch("/api/v1/assess", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ radar: overrides() }),
      });
      const body = await response.json();
      if (ticket !== asked) return; // a later change already asked again
      if (!response.ok) throw new Error(body.detail || response.statusText);
      status.textContent = "";
      good = sent;
      render(body);
    } catch (e) {
      if (ticket !== asked) return;
      // Put the sliders back where the verdicts on the page were computed.
      for (const s of sliders) s.value = good[s.name];
      drawLocal();
      status.textContent = `Could not reassess: ${e.message}. The sliders are back at the scores shown.`;
    }
  }

  function changed() {
    drawLocal();
    assess();
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
  const saved = () => [...list.options].map((o) => o.value);
  document.getElementById("scenario-save").addEventListener("click", async () => {
    const name = nameInput.value.trim();
    if (!name) { status.textContent = "Give the scenario a name first."; nameInput.focus(); return; }
    if (saved().includes(name) && !confirm(`Replace the saved scenario “${name}” with these scores?`)) {
      status.textContent = `Not saved: “${name}” keeps its scores.`;
      return;
    }
    const radar = {};
    for (const s of sliders) radar[s.name] = Number(s.value);
    try {
      await call("PUT", name, { radar });
      await refreshList(name);
      status.textContent = `Saved “${name}”.`;
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
    const name = list.value;
    if (!name) return;
    if (!confirm(`Delete the saved scenario “${name}”?`)) {
      status.textContent = `Not deleted: “${name}” is still saved.`;
      return;
    }
    try {
      await call("DELETE", name);
      await refreshList();
      status.textContent = `Deleted “${name}”.`;
    } catch (e) { status.textContent = `Could not delete: ${e.message}`; }
  });
})();
