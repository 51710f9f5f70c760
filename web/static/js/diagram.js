// Renders a BPMN diagram with bpmn-js (served from /static/vendor) and marks elements from the page's
// #diagram-markers JSON: an instance's path (completed green, waiting for a person orange) or a version diff
// (added green, changed orange).
(function () {
  "use strict";

  var CLASSES = { completed: "fd-done", active: "fd-active", added: "fd-added", changed: "fd-changed" };

  function markers() {
    var node = document.getElementById("diagram-markers");
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
        Object.keys(CLASSES).forEach(function (key) { mark(canvas, registry, m[key], CLASSES[key]); });
        canvas.zoom("fit-viewport", "auto");
        container.dataset.rendered = "true";
      })
      .catch(function (error) { showError(container, error); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
