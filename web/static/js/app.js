// Flowdesk page behaviour: table rows in forms (add/remove), closing messages, and a message when htmx fails.
(function () {
  "use strict";

  function addRow(button) {
    var box = button.closest("[data-table]");
    var body = box.querySelector(":scope > .table-scroll > table > tbody[data-rows]");
    var template = box.querySelector(":scope > template[data-row-template]");
    var index = parseInt(body.dataset.nextIndex || "0", 10);
    body.dataset.nextIndex = String(index + 1);
    body.insertAdjacentHTML("beforeend", template.innerHTML.split("__INDEX__").join(String(index)));
    var first = body.lastElementChild && body.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  function removeRow(button) {
    var row = button.closest("[data-row]");
    var body = row.parentElement;
    row.remove();
    var remaining = body.querySelectorAll(":scope > [data-row]").length;
    if (remaining === 0) {
      var add = body.closest("[data-table]").querySelector(":scope > [data-add-row]");
      if (add) addRow(add);
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var add = target.closest("[data-add-row]");
    if (add) { event.preventDefault(); addRow(add); return; }
    var remove = target.closest("[data-remove-row]");
    if (remove) { event.preventDefault(); removeRow(remove); return; }
    var dismiss = target.closest("[data-dismiss]");
    if (dismiss) { var flash = dismiss.closest(".flash"); if (flash) flash.remove(); }
  });

  // 5xx or network failures are not swapped by htmx: say so instead of failing silently.
  function failed() {
    var area = document.getElementById("flash");
    if (!area) return;
    var box = document.createElement("div");
    box.className = "flash flash-error";
    box.setAttribute("role", "alert");
    box.textContent = document.body.dataset.errorText || "Error";
    area.replaceChildren(box);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 500) { failed(); return; }
    // A task someone else took or finished: grey its row out instead of offering a button that cannot work.
    var row = event.detail && event.detail.elt ? event.detail.elt.closest("tr.task-row") : null;
    if (row && status === 409) {
      row.classList.add("is-stale");
      row.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }
  });
  document.addEventListener("htmx:sendError", failed);
})();
