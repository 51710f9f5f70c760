// Renders the newer version's BPMN diagram with bpmn-js (served from /static/vendor) and marks what changed
// since the older version: added elements green, changed elements orange (removed ones are only listed).
(function () {
  "use strict";

  function markers() {
    var node = document.getElementById("diff-markers");
    try { return JSON.parse(node ? node.textContent : "{}"); } catch (e) { return {}; }
  }

  function mark(canvas, registry, ids, cls) {
    (ids || []).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, cls);
    });
  }

  function showError(container, error) {
    container.dataset.rendered = "error";
    var p = document.createElement("p");
    p.className = "diagram-error";
    p.textContent = container.dataset.errorText + (error && error.message ? " (" + error.message + ")" : "");
    container.replaceChildren(p);
  }

  function render() {
    var container = document.getElementById("diagram");
    if (!container) return;
    if (typeof window.BpmnJS !== "function") { showError(container, null); return; }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var m = markers();
        mark(canvas, registry, m.added, "fd-added");
        mark(canvas, registry, m.changed, "fd-changed");
        canvas.zoom("fit-viewport", "auto");
        container.dataset.rendered = "true";
      })
      .catch(function (error) { showError(container, error); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
