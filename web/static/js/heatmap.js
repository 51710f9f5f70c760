// The heatmap: the process diagram (bpmn-js viewer) with each element coloured by its mean duration (green fast,
// red slow) and a badge "passed · waiting now · mean / p90". The total mode comes with the page (#heatmap-data); the
// mode buttons load waiting and working time once from the container's data-figures URL, then switch locally.
(function () {
  "use strict";

  function figures() {
    var node = document.getElementById("heatmap-data");
    try { return JSON.parse(node ? node.textContent : "{}"); } catch (e) { return {}; }
  }

  function showError(container, error) {
    container.dataset.rendered = "error";
    var p = document.createElement("p");
    p.className = "diagram-error";
    p.textContent = container.dataset.errorText + (error && error.message ? " (" + error.message + ")" : "");
    container.replaceChildren(p);
  }

  function colour(value, max) {
    var ratio = max > 0 ? Math.min(value / max, 1) : 0;
    return "hsl(" + Math.round(120 * (1 - ratio)) + " 70% 72%)";
  }

  function badge(container, f) {
    var div = document.createElement("div");
    div.className = "heat-badge";
    function part(text, cls) {
      if (div.childNodes.length) div.appendChild(document.createTextNode(" · "));
      var span = document.createElement("span");
      if (cls) span.className = cls;
      span.textContent = text;
      div.appendChild(span);
    }
    part(f.passed + " " + container.dataset.passed);
    if (f.waiting) part(f.waiting + " " + container.dataset.waiting, "waiting");
    if (f.mean !== null && f.mean !== undefined) part(f.mean_label + " / " + f.p90_label);
    return div;
  }

  function paint(viewer, container, all, mode) {
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    var map = all[mode] || {};
    overlays.remove({ type: "heat" });
    var max = 0;
    Object.keys(map).forEach(function (id) { if (map[id].mean > max) max = map[id].mean; });
    registry.forEach(function (element) {
      var gfx = registry.getGraphics(element);
      var shape = gfx && gfx.querySelector(".djs-visual > :first-child");
      if (!shape || element.type === "bpmn:Process" || element.waypoints) return;
      var f = map[element.id];
      if (shape.dataset.fill === undefined) shape.dataset.fill = shape.style.fill || "";  // the diagram's own
      shape.style.fill = f && f.mean !== null && f.mean !== undefined ? colour(f.mean, max) : shape.dataset.fill;
      if (f) overlays.add(element.id, "heat", { position: { bottom: -6, left: 0 }, html: badge(container, f) });
    });
    container.dataset.mode = mode;
    container.dataset.overlays = String(overlays.get({ type: "heat" }).length);
  }

  function load(container, all, mode) {
    if (all[mode]) return Promise.resolve(all[mode]);
    var url = container.dataset.figures + "&mode=" + encodeURIComponent(mode);
    return fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (figures) { all[mode] = figures; return figures; });
  }

  function render() {
    var container = document.getElementById("heatmap");
    if (!container) return;
    if (typeof window.BpmnJS !== "function") { showError(container, null); return; }
    var viewer = new window.BpmnJS({ container: container });
    var all = figures();
    var buttons = document.querySelectorAll(".mode-switch [data-mode]");
    fetch(container.dataset.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        paint(viewer, container, all, "total");
        buttons.forEach(function (button) {
          button.addEventListener("click", function () {
            var mode = button.dataset.mode;
            load(container, all, mode).then(function () {
              buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
              paint(viewer, container, all, mode);
            }).catch(function (error) { showError(container, error); });
          });
        });
        container.dataset.rendered = "true";
      })
      .catch(function (error) { showError(container, error); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
