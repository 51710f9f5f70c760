// The modeler page: a draft in the bpmn-js Modeler with Flowdesk's own properties panel (operators, async, retries,
// forms, lane -> group, timers with a plain-language preview, conditions with a syntax check, default flows), the
// draft's decision tables in dmn-js, its forms with a server-rendered live preview; Save, Validate, Deploy.
// Flowdesk writes the spiffworkflow extensions exactly as engine/spiff.py and engine/checks.py read them.
(function () {
  "use strict";

  var SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";

  // Every spiffworkflow element a diagram may carry: a declared namespace with an undeclared element would make
  // bpmn-moddle drop that element, so the list covers what SpiffWorkflow and SpiffArena write.
  function textType(name) {
    return { name: name, superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] };
  }
  function attr(name) { return { name: name, type: "String", isAttr: true }; }
  var SPIFF_MODDLE = {
    name: "SpiffWorkflow",
    uri: SPIFF_URI,
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"], properties: [{ name: "values", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"], properties: [attr("name"), attr("value")] },
      { name: "ServiceTaskOperator", superClass: ["Element"], properties: [
        attr("id"), attr("resultVariable"),
        { name: "parameterList", type: "Parameters" },
        { name: "retry", type: "Retry" }] },
      { name: "Parameters", superClass: ["Element"], properties: [{ name: "values", type: "Parameter", isMany: true }] },
      { name: "Parameter", superClass: ["Element"], properties: [attr("id"), attr("type"), attr("value")] },
      { name: "Retry", superClass: ["Element"], properties: [attr("retries"), attr("backoff_base")] },
      { name: "ProcessVariableCorrelation", superClass: ["Element"], properties: [
        { name: "propertyId", type: "PropertyId" }, { name: "expression", type: "Expression" }] },
      { name: "UnitTests", superClass: ["Element"], properties: [{ name: "values", type: "UnitTest", isMany: true }] },
      { name: "UnitTest", superClass: ["Element"], properties: [
        attr("id"), { name: "inputJson", type: "InputJson" }, { name: "expectedOutputJson", type: "ExpectedOutputJson" }] },
      { name: "TaskMetadataValues", superClass: ["Element"], properties: [
        { name: "values", type: "TaskMetadataValue", isMany: true }] },
      { name: "TaskMetadataValue", superClass: ["Element"], properties: [attr("name"), attr("value")] },
      textType("PreScript"), textType("PostScript"), textType("CalledDecisionId"), textType("PropertyId"),
      textType("Expression"), textType("MessageVariable"), textType("MessagePayload"), textType("InputJson"),
      textType("ExpectedOutputJson"), textType("InstructionsForEndUser"), textType("SignalPayload"),
      textType("SignalButtonLabel"), textType("AllowGuest"), textType("GuestConfirmation")
    ]
  };

  function json(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var draft = json("modeler-draft");
  var OPERATORS = json("modeler-operators") || [];
  var GROUPS = json("modeler-groups") || [];
  var CONFIG = json("modeler-config") || {};
  var T = json("modeler-text") || {};
  var state = {
    version: draft.version, dirty: false, forms: JSON.parse(JSON.stringify(draft.forms || {})),
    dmnFiles: Object.assign({}, draft.dmn_files || {}), badForms: {}, lost: [], issues: []
  };
  var modeler, moddle, modeling, dmn, dmnFile = null;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function status(text, kind) {
    var node = document.getElementById("modeler-status");
    node.textContent = text;
    node.dataset.kind = kind || "";
  }

  function fmt(template, params) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return params[key]; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key in node && key !== "list") node[key] = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function markDirty() {
    state.dirty = true;
    status(T.unsaved, "info");
  }

  // ---- extension elements --------------------------------------------------------------------------------------

  function extensions(bo, create) {
    if (!bo.extensionElements && create) {
      bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
      bo.extensionElements.$parent = bo;
    }
    return bo.extensionElements;
  }

  function spiffChild(bo, type, create) {
    var ext = extensions(bo, create);
    if (!ext) return null;
    ext.values = ext.values || [];
    var found = ext.values.filter(function (v) { return v.$type === type; })[0];
    if (!found && create) {
      found = moddle.create(type, {});
      found.$parent = ext;
      ext.values.push(found);
    }
    return found || null;
  }

  function dropEmptyExtensions(bo) {
    var ext = bo.extensionElements;
    if (ext && (!ext.values || ext.values.length === 0)) delete bo.extensionElements;
  }

  function getProperty(bo, name) {
    var props = spiffChild(bo, "spiffworkflow:Properties", false);
    var found = props && (props.values || []).filter(function (p) { return p.name === name; })[0];
    return found ? found.value : "";
  }

  function setProperty(bo, name, value) {
    var props = spiffChild(bo, "spiffworkflow:Properties", !!value);
    if (!props) return;
    props.values = (props.values || []).filter(function (p) { return p.name !== name; });
    if (value) {
      var prop = moddle.create("spiffworkflow:Property", { name: name, value: value });
      prop.$parent = props;
      props.values.push(prop);
    }
    if (props.values.length === 0) {
      var ext = bo.extensionElements;
      ext.values = ext.values.filter(function (v) { return v !== props; });
      dropEmptyExtensions(bo);
    }
  }

  function touched(element) {
    // Let bpmn-js know the element changed (undo stack, re-render) and remember the unsaved edit.
    modeling.updateProperties(element, {});
    markDirty();
  }

  // ---- the properties panel ---------------------------------------------------------------------------------

  function field(label, control, extra) {
    return el("div", { className: "field" }, [el("label", { text: label, htmlFor: control.id || "" }), control, extra]);
  }

  function input(id, value, onChange, placeholder) {
    var node = el("input", { id: id, value: value || "", placeholder: placeholder || "" });
    node.disabled = !CONFIG.may_edit;
    node.addEventListener("change", function () { onChange(node.value.trim()); });
    return node;
  }

  function select(id, options, value, onChange) {
    var node = el("select", { id: id });
    options.forEach(function (o) { node.appendChild(el("option", { value: o[0], text: o[1] })); });
    node.value = value || "";
    node.disabled = !CONFIG.may_edit;
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function operatorPanel(element, bo, panel) {
    var op = spiffChild(bo, "spiffworkflow:ServiceTaskOperator", false);
    var name = op ? op.id : "";
    var spec = OPERATORS.filter(function (o) { return o.name === name; })[0];
    var options = [["", T.choose_operator]].concat(OPERATORS.map(function (o) { return [o.name, o.name]; }));
    panel.appendChild(field(T.operator, select("prop-operator", options, name, function (value) {
      writeOperator(bo, value, {});
      touched(element);
      render(element);
    })));
    if (spec && spec.description) panel.appendChild(el("p", { className: "hint", text: spec.description }));
    if (!op || !spec) return;
    panel.appendChild(field(T.result_variable, input("prop-result", op.resultVariable, function (v) {
      op.resultVariable = v || undefined;
      touched(element);
    })));
    var current = {};
    ((op.parameterList && op.parameterList.values) || []).forEach(function (p) { current[p.id] = p.value; });
    var table = el("table", { className: "table compact params" }, [
      el("thead", {}, [el("tr", {}, [el("th", { text: T.parameters }), el("th", { text: "" })])])]);
    var body = el("tbody");
    spec.parameters.forEach(function (param) {
      var box = input("param-" + param.name, current[param.name], function (v) {
        current[param.name] = v;
        writeOperator(bo, name, current);
        touched(element);
      });
      box.dataset.param = param.name;
      body.appendChild(el("tr", {}, [
        el("td", {}, [el("span", { className: "mono", text: param.name }),
          el("div", { className: "hint", text: param.type + (param.required ? " · " + T.required : "") })]),
        el("td", {}, [box])]));
    });
    table.appendChild(body);
    panel.appendChild(table);
    // An operator registered async always runs as a job (engine/spiff.py): the box shows that and stays locked.
    var asyncBox = el("input", { type: "checkbox", id: "prop-async" });
    asyncBox.checked = spec.asynchronous || getProperty(bo, "async") === "true";
    asyncBox.disabled = !CONFIG.may_edit || spec.asynchronous;
    asyncBox.addEventListener("change", function () {
      setProperty(bo, "async", asyncBox.checked ? "true" : "");
      touched(element);
    });
    panel.appendChild(el("div", { className: "field checkbox" }, [asyncBox, el("label", { htmlFor: "prop-async", text: T.async })]));
    var retry = op.retry || {};
    panel.appendChild(field(T.retries, input("prop-retries", retry.retries, function (v) {
      writeRetry(op, v, retry.backoff_base);
      retry = op.retry || {};
      touched(element);
    }, fmt(T.operator_default, { n: spec.retries }))));
    panel.appendChild(field(T.backoff, input("prop-backoff", retry.backoff_base, function (v) {
      writeRetry(op, retry.retries, v);
      retry = op.retry || {};
      touched(element);
    }, fmt(T.operator_default, { n: spec.backoff_seconds }))));
  }

  function writeRetry(op, retries, backoff) {
    if (!retries && !backoff) { op.retry = undefined; return; }
    var retry = moddle.create("spiffworkflow:Retry", {});
    if (retries) retry.retries = String(parseInt(retries, 10) || 0);
    if (backoff) retry.backoff_base = String(parseInt(backoff, 10) || 0);
    retry.$parent = op;
    op.retry = retry;
  }

  function writeOperator(bo, name, values) {
    var ext = extensions(bo, !!name);
    if (!ext) return;
    var op = spiffChild(bo, "spiffworkflow:ServiceTaskOperator", false);
    if (!name) {
      ext.values = ext.values.filter(function (v) { return v !== op; });
      dropEmptyExtensions(bo);
      return;
    }
    if (!op || op.id !== name) {
      ext.values = ext.values.filter(function (v) { return v !== op; });
      op = spiffChild(bo, "spiffworkflow:ServiceTaskOperator", true);
      op.id = name;
      op.resultVariable = name.split(".").pop().replace(/^(get|create|record|reserve|send)_/, "") || "result";
    }
    var spec = OPERATORS.filter(function (o) { return o.name === name; })[0];
    var list = moddle.create("spiffworkflow:Parameters", { values: [] });
    list.$parent = op;
    spec.parameters.forEach(function (param) {
      var value = values[param.name];
      if (value === undefined || value === "") return;
      var p = moddle.create("spiffworkflow:Parameter", { id: param.name, type: param.spiff_type, value: value });
      p.$parent = list;
      list.values.push(p);
    });
    op.parameterList = list.values.length ? list : undefined;
  }

  function formNames(ui) {
    return Object.keys(state.forms).sort().filter(function (n) { return ui === (n.indexOf(".uischema.") >= 0); });
  }

  function formPanel(element, bo, panel, withDue) {
    var forms = [["", T.no_form]].concat(formNames(false).map(function (n) { return [n, n]; }));
    panel.appendChild(field(T.form, select("prop-form", forms, getProperty(bo, "formJsonSchemaFilename"), function (v) {
      setProperty(bo, "formJsonSchemaFilename", v);
      touched(element);
    })));
    var uis = [["", T.none]].concat(formNames(true).map(function (n) { return [n, n]; }));
    panel.appendChild(field(T.ui_form, select("prop-ui-form", uis, getProperty(bo, "formUiSchemaFilename"), function (v) {
      setProperty(bo, "formUiSchemaFilename", v);
      touched(element);
    })));
    if (!withDue) return;
    panel.appendChild(field(T.due_in, input("prop-due", getProperty(bo, "dueIn"), function (v) {
      setProperty(bo, "dueIn", v);
      touched(element);
    }, "P2D")));
  }

  function laneGroup(name) {
    // engine.deployment.lane_group: the lane's name as a lower-case identifier.
    return (name || "").trim().toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, "_").replace(/^_+|_+$/g, "");
  }

  function laneName(group) {
    var g = GROUPS.filter(function (x) { return x.name === group; })[0];
    return g && laneGroup(g.title) === group ? g.title : group;
  }

  function lanePanel(element, bo, panel) {
    var group = laneGroup(bo.name || bo.id);
    var known = GROUPS.some(function (g) { return g.name === group; });
    var options = [["", T.choose_group]].concat(GROUPS.map(function (g) { return [g.name, g.title + " (" + g.name + ")"]; }));
    panel.appendChild(field(T.lane_group, select("prop-lane-group", options, known ? group : "", function (v) {
      if (!v) return;
      modeling.updateProperties(element, { name: laneName(v) });
      markDirty();
      render(element);
    }), known ? null : el("p", { className: "field-error", text: fmt(T.unknown_group, { group: group }) })));
  }

  var TIMER_KINDS = ["timeDuration", "timeDate", "timeCycle"];

  function timerPanel(element, bo, definition, panel) {
    var kind = TIMER_KINDS.filter(function (k) { return definition[k]; })[0] || "timeDuration";
    var expression = definition[kind] ? definition[kind].body || "" : "";
    var position = bo.$type === "bpmn:BoundaryEvent" ? "boundary" : (bo.$type === "bpmn:StartEvent" ? "start" : "intermediate");
    var preview = el("p", { className: "timer-preview", id: "timer-preview" });
    var refresh = debounce(function () {
      post("/modeler/timer-preview", { expression: expression, kind: kind, position: position }).then(function (r) {
        preview.textContent = r.data.text || "";
        preview.className = "timer-preview " + (r.data.ok ? "ok" : "field-error");
      });
    }, 250);
    function write() {
      TIMER_KINDS.forEach(function (k) { definition[k] = undefined; });
      if (expression) {
        var expr = moddle.create("bpmn:FormalExpression", { body: expression });
        expr.$parent = definition;
        definition[kind] = expr;
      }
      touched(element);
      refresh();
    }
    panel.appendChild(el("h3", { text: T.timer }));
    panel.appendChild(field(T.timer_kind, select("prop-timer-kind", [
      ["timeDuration", T.time_duration], ["timeDate", T.time_date], ["timeCycle", T.time_cycle]], kind, function (v) {
      kind = v;
      write();
    })));
    var box = input("prop-timer", expression, function (v) { expression = v; write(); }, "\"P3D\"");
    box.addEventListener("input", function () { expression = box.value.trim(); refresh(); });
    panel.appendChild(field(T.expression, box, preview));
    if (expression) refresh();
  }

  function isDeciding(bo) {
    return bo && (bo.$type === "bpmn:ExclusiveGateway" || bo.$type === "bpmn:InclusiveGateway");
  }

  function flowPanel(element, bo, panel) {
    var source = bo.sourceRef;
    if (!isDeciding(source)) return;
    var sourceShape = modeler.get("elementRegistry").get(source.id);
    var isDefault = source.default === bo;
    var defaultBox = el("input", { type: "checkbox", id: "prop-default-flow" });
    defaultBox.checked = isDefault;
    defaultBox.disabled = !CONFIG.may_edit;
    defaultBox.addEventListener("change", function () {
      modeling.updateProperties(sourceShape, { "default": defaultBox.checked ? bo : undefined });
      if (defaultBox.checked) modeling.updateProperties(element, { conditionExpression: undefined });
      markDirty();
      render(element);
    });
    panel.appendChild(el("div", { className: "field checkbox" }, [defaultBox, el("label", { htmlFor: "prop-default-flow", text: T.default_flow })]));
    if (isDefault) return;
    var check = el("p", { className: "condition-check", id: "condition-check" });
    var area = el("textarea", { id: "prop-condition", rows: 3, className: "mono" });
    area.value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    area.disabled = !CONFIG.may_edit;
    var verify = debounce(function () {
      if (!area.value.trim()) { check.textContent = ""; return; }
      post("/modeler/condition-check", { expression: area.value }).then(function (r) {
        check.textContent = r.data.ok ? T.condition_ok : r.data.message;
        check.className = "condition-check " + (r.data.ok ? "ok" : "field-error");
      });
    }, 250);
    area.addEventListener("input", verify);
    area.addEventListener("change", function () {
      var text = area.value.trim();
      var expr = text ? moddle.create("bpmn:FormalExpression", { body: text }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expr });
      markDirty();
    });
    panel.appendChild(field(T.condition, area, check));
    verify();
  }

  function gatewayPanel(element, bo, panel) {
    var outs = bo.outgoing || [];
    if (outs.length < 2) return;
    var options = [["", T.none]].concat(outs.map(function (f) { return [f.id, (f.name ? f.name + " · " : "") + f.id]; }));
    panel.appendChild(field(T.gateway_default, select("prop-gateway-default", options, bo.default ? bo.default.id : "", function (v) {
      var flow = outs.filter(function (f) { return f.id === v; })[0];
      modeling.updateProperties(element, { "default": flow || undefined });
      if (flow) modeling.updateProperties(modeler.get("elementRegistry").get(flow.id), { conditionExpression: undefined });
      markDirty();
    })));
  }

  function render(element) {
    var panel = document.getElementById("properties");
    panel.replaceChildren();
    if (!element) { panel.appendChild(el("p", { className: "muted", text: T.select_hint })); return; }
    var bo = element.businessObject;
    panel.dataset.element = bo.id;
    panel.appendChild(el("h2", { text: bo.$type.replace("bpmn:", "") }));
    panel.appendChild(el("p", { className: "mono muted", text: T.id + ": " + bo.id }));
    if (bo.$type !== "bpmn:Lane" && bo.$type !== "bpmn:Process" && bo.$type !== "bpmn:Collaboration") {
      panel.appendChild(field(T.name, input("prop-name", bo.name, function (v) {
        modeling.updateLabel(element, v);
        markDirty();
      })));
    }
    var type = bo.$type;
    if (type === "bpmn:ServiceTask") operatorPanel(element, bo, panel);
    if (type === "bpmn:UserTask" || type === "bpmn:ManualTask" || type === "bpmn:Task") formPanel(element, bo, panel, true);
    if (type === "bpmn:StartEvent" && !(bo.eventDefinitions || []).length) formPanel(element, bo, panel, false);
    if (type === "bpmn:Lane") lanePanel(element, bo, panel);
    if (type === "bpmn:SequenceFlow") flowPanel(element, bo, panel);
    if (isDeciding(bo)) gatewayPanel(element, bo, panel);
    (bo.eventDefinitions || []).forEach(function (d) {
      if (d.$type === "bpmn:TimerEventDefinition") timerPanel(element, bo, d, panel);
    });
    issuesFor(bo.id).forEach(function (issue) {
      panel.appendChild(el("p", { className: "issue-inline " + issue.severity, text: issue.message }));
    });
  }

  // ---- issues: a list and markers on the diagram -------------------------------------------------------------

  function issuesFor(id) {
    return state.issues.filter(function (i) { return i.element_id === id; });
  }

  function clearIssues() {
    var overlays = modeler.get("overlays");
    var canvas = modeler.get("canvas");
    overlays.remove({ type: "fd-issue" });
    state.issues.forEach(function (i) {
      if (i.element_id && modeler.get("elementRegistry").get(i.element_id)) {
        canvas.removeMarker(i.element_id, "fd-issue-error");
        canvas.removeMarker(i.element_id, "fd-issue-warning");
      }
    });
  }

  function selectElement(id) {
    var element = modeler.get("elementRegistry").get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element, { top: 120, bottom: 120, left: 200, right: 200 });
  }

  function showIssues(issues) {
    clearIssues();
    state.issues = issues;
    var list = document.getElementById("issue-list");
    var registry = modeler.get("elementRegistry");
    var overlays = modeler.get("overlays");
    var canvas = modeler.get("canvas");
    list.replaceChildren();
    document.getElementById("issues").hidden = issues.length === 0;
    var pinned = {};
    issues.forEach(function (issue) {
      var id = issue.element_id;
      var onDiagram = id && registry.get(id);
      var item = el("li", { className: "issue " + issue.severity }, [
        el("span", { className: "pill issue-severity", text: issue.severity === "error" ? T.error : T.warning }),
        el("span", { className: "mono issue-element", text: id || "" }),
        el("span", { className: "issue-message", text: issue.message })]);
      item.dataset.element = id || "";
      item.dataset.code = issue.code;
      if (onDiagram) {
        item.tabIndex = 0;
        item.addEventListener("click", function () { selectElement(id); });
        item.addEventListener("keydown", function (e) { if (e.key === "Enter") selectElement(id); });
        canvas.addMarker(id, "fd-issue-" + issue.severity);
        if (!pinned[id] && registry.get(id).waypoints === undefined) {
          pinned[id] = true;
          var badge = el("div", { className: "fd-issue-badge " + issue.severity, title: issue.message, text: "!" });
          badge.dataset.element = id;
          badge.addEventListener("click", function () { selectElement(id); });
          overlays.add(id, "fd-issue", { position: { top: -10, right: 10 }, html: badge });
        }
      }
      list.appendChild(item);
    });
    var selected = modeler.get("selection").get()[0];
    render(selected || null);
  }

  // ---- save, validate, deploy -------------------------------------------------------------------------------

  function collectDmn() {
    if (!dmn || !dmnFile) return Promise.resolve();
    return dmn.saveXML({ format: true }).then(function (r) { state.dmnFiles[dmnFile] = r.xml; });
  }

  function save() {
    var bad = Object.keys(state.badForms).filter(function (k) { return state.badForms[k]; });
    if (bad.length) { status(T.failed + " " + bad.join(", "), "error"); return Promise.reject(new Error("bad form")); }
    if (state.lost.length) { status(T.import_warnings + " " + state.lost.join("; "), "error"); return Promise.reject(new Error("lost")); }
    status(T.saving, "info");
    return collectDmn().then(function () { return modeler.saveXML({ format: true }); }).then(function (r) {
      return post("/modeler/drafts/" + CONFIG.draft_id + "/save", {
        version: state.version, bpmn_xml: r.xml, dmn_files: state.dmnFiles, forms: state.forms });
    }).then(function (r) {
      if (r.status === 409) { status(T.conflict, "error"); throw new Error("conflict"); }
      if (!r.ok) { status(T.failed + " " + (r.data.detail || r.status), "error"); throw new Error("save"); }
      state.version = r.data.version;
      state.dirty = false;
      document.body.dataset.draftVersion = String(state.version);
      status(T.saved, "success");
      return r.data;
    });
  }

  function saveIfDirty() {
    return state.dirty ? save() : Promise.resolve();
  }

  function validate() {
    return saveIfDirty().then(function () {
      status(T.validating, "info");
      return post("/modeler/drafts/" + CONFIG.draft_id + "/validate");
    }).then(function (r) {
      if (!r.ok) { status(T.failed + " " + (r.data.detail || r.status), "error"); return; }
      showIssues(r.data.findings);
      status(r.data.ok ? T.valid : T.has_errors, r.data.ok ? "success" : "error");
      return r.data;
    });
  }

  function deploy() {
    return saveIfDirty().then(function () {
      status(T.deploying, "info");
      return post("/modeler/drafts/" + CONFIG.draft_id + "/deploy", { version: state.version });
    }).then(function (r) {
      if (r.ok) { window.location.assign(r.data.url); return; }
      if (r.status === 409) { status(T.conflict, "error"); return; }
      if (r.data && r.data.errors) showIssues(r.data.errors);
      status(r.status === 422 ? T.has_errors : T.failed + " " + (r.data.detail || r.status), "error");
    });
  }

  function guard(fn) {
    return function () { fn().catch(function (e) { if (!document.getElementById("modeler-status").textContent) status(String(e), "error"); }); };
  }

  // ---- decision tables --------------------------------------------------------------------------------------

  function openDmn(name) {
    var container = document.getElementById("dmn-canvas");
    if (!container || typeof window.DmnJS !== "function") return Promise.resolve();
    if (!dmn) dmn = new window.DmnJS({ container: container });
    return collectDmn().then(function () {
      dmnFile = name;
      return dmn.importXML(state.dmnFiles[name]);
    }).then(function () {
      var table = dmn.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
      if (table) return dmn.open(table);
    }).then(function () {
      var viewer = dmn.getActiveViewer();
      if (viewer) viewer.on("commandStack.changed", markDirty);
      container.dataset.rendered = "true";
    });
  }

  // ---- forms ------------------------------------------------------------------------------------------------

  function companionUi(name) {
    var ui = name.replace(/\.schema\.json$/, ".uischema.json");
    return ui !== name && state.forms[ui] ? ui : null;
  }

  function fillFormSelect(selected) {
    var sel = document.getElementById("form-file");
    sel.replaceChildren();
    Object.keys(state.forms).sort().forEach(function (n) { sel.appendChild(el("option", { value: n, text: n })); });
    if (selected) sel.value = selected;
    showForm(sel.value);
  }

  function showForm(name) {
    var source = document.getElementById("form-json");
    var other = document.getElementById("form-ui");
    if (!name) { source.value = ""; return; }
    var isUi = name.indexOf(".uischema.") >= 0;
    var schemaName = isUi ? name.replace(".uischema.", ".schema.") : name;
    source.name = isUi ? "form_ui" : "form_schema";
    other.name = isUi ? "form_schema" : "form_ui";
    source.value = JSON.stringify(state.forms[name], null, 2);
    var companion = isUi ? (state.forms[schemaName] ? schemaName : null) : companionUi(name);
    other.value = companion ? JSON.stringify(state.forms[companion]) : "";
    source.dataset.file = name;
    if (window.htmx) window.htmx.trigger(document.getElementById("form-editor"), "fd-refresh");
  }

  var refreshPreview = debounce(function () {
    if (window.htmx) window.htmx.trigger(document.getElementById("form-editor"), "fd-refresh");
  }, 300);

  function formEdited() {
    refreshPreview();
    var source = document.getElementById("form-json");
    var name = source.dataset.file;
    if (!name) return;
    try {
      state.forms[name] = JSON.parse(source.value);
      state.badForms[name] = false;
    } catch (e) {
      state.badForms[name] = true;
    }
    markDirty();
  }

  function addForm() {
    var box = document.getElementById("new-form-name");
    var name = box.value.trim().replace(/[^\w.\-]+/g, "_");
    if (!name) return;
    if (!/\.json$/.test(name)) name += ".schema.json";
    if (!state.forms[name]) {
      state.forms[name] = { "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "", "type": "object",
                            "properties": {} };
      markDirty();
    }
    box.value = "";
    fillFormSelect(name);
  }

  // ---- start ------------------------------------------------------------------------------------------------

  function tabs() {
    document.querySelectorAll(".tabs [data-tab]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        document.querySelectorAll(".tabs [data-tab]").forEach(function (t) { t.classList.toggle("active", t === tab); });
        document.querySelectorAll("[data-panel]").forEach(function (p) { p.hidden = p.dataset.panel !== tab.dataset.tab; });
        if (tab.dataset.tab === "decisions" && !dmn && document.getElementById("dmn-file")) {
          openDmn(document.getElementById("dmn-file").value);
        }
      });
    });
  }

  function start() {
    var container = document.getElementById("modeler-canvas");
    if (typeof window.BpmnJS !== "function") { container.textContent = container.dataset.errorText; return; }
    modeler = new window.BpmnJS({ container: container, keyboard: { bindTo: document },
                                  moddleExtensions: { spiffworkflow: SPIFF_MODDLE } });
    moddle = modeler.get("moddle");
    modeling = modeler.get("modeling");
    modeler.importXML(draft.bpmn_xml).then(function (result) {
      state.lost = (result.warnings || []).map(function (w) { return w.message; });
      if (state.lost.length) status(T.import_warnings + " " + state.lost.join("; "), "error");
      modeler.get("canvas").zoom("fit-viewport", "auto");
      modeler.on("selection.changed", function (e) { render(e.newSelection.length === 1 ? e.newSelection[0] : null); });
      modeler.on("commandStack.changed", function () { if (!state.dirty) markDirty(); });
      container.dataset.rendered = "true";
    }).catch(function (error) {
      container.textContent = container.dataset.errorText + " " + (error && error.message ? error.message : "");
    });
    tabs();
    var bind = function (id, fn) { var b = document.getElementById(id); if (b) b.addEventListener("click", guard(fn)); };
    bind("modeler-save", save);
    bind("modeler-validate", validate);
    bind("modeler-deploy", deploy);
    var dmnSelect = document.getElementById("dmn-file");
    if (dmnSelect) dmnSelect.addEventListener("change", function () { openDmn(dmnSelect.value); });
    var formSelect = document.getElementById("form-file");
    formSelect.addEventListener("change", function () { showForm(formSelect.value); });
    document.getElementById("form-json").addEventListener("input", formEdited);
    var add = document.getElementById("new-form");
    if (add) add.addEventListener("click", addForm);
    fillFormSelect(null);
    // For tests and the curious: the modeler instances and the panel's state.
    window.flowdeskModeler = { get bpmn() { return modeler; }, get dmn() { return dmn; }, state: state,
                               save: save, validate: validate, spiffModdle: SPIFF_MODDLE };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
