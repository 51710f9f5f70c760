"""Task forms: JSON Schema (+ UI hints) -> form fields for the templates, posted fields -> typed data.

Posted values are strings; they become the schema's types here (numbers -> Decimal, never float; integers -> int;
booleans; arrays from indexed names such as ``lines[0][item_sku]``). The engine validates the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from domain.errors import InvalidInput
from engine.forms import validate_form_data
from web.i18n import translations
from web.templating import env

INDEX = "__INDEX__"  # placeholder in the template row of a table; app.js replaces it with the next row number
_MISSING: Any = object()
_NAME = re.compile(r"^([A-Za-z_][\w-]*)((?:\[[^\[\]]*\])*)$")


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext-noop marker
    """Mark a message for extraction; it is translated where it is shown."""
    return message


# Messages produced here or by engine.forms; listed so that the catalog translates them where they are shown.
MESSAGES = (N_("This field is required."), N_("Unknown field."), N_("Must be of type number."),
            N_("Must be of type integer."), N_("Must be of type string."), N_("Must be of type boolean."),
            N_("Must be of type array."), N_("Must be of type object."))


@dataclass
class Field:
    """One input (or group or table) of a rendered form."""

    key: str  # the engine's error path: lines.0.quantity
    name: str  # the HTML name: lines[0][quantity]
    label: str
    widget: str  # text textarea date email url number select radio yesno checkbox hidden group table
    description: str = ""
    help: str = ""
    required: bool = False
    value: str = ""
    checked: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    children: list[Field] = field(default_factory=list)  # group: its fields; table: the template row
    rows: list[list[Field]] = field(default_factory=list)  # table rows

    @property
    def id(self) -> str:
        """A DOM id derived from the name."""
        return "f-" + re.sub(r"[^\w-]+", "-", self.name).strip("-")


@dataclass
class Form:
    """A form ready to render: title, description, fields and errors no field shows."""

    title: str
    description: str
    fields: list[Field]
    errors: list[tuple[str, str]]


@dataclass
class _Build:
    errors: dict[str, str]
    fresh: bool  # no submission yet: show schema defaults
    used: set[str] = field(default_factory=set)


def error_map(errors: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """The first message per field path of InvalidInput.errors."""
    out: dict[str, str] = {}
    for err in errors or []:
        out.setdefault(str(err.get("field", "")), str(err.get("message", "")))
    return out


def build_form(schema: dict[str, Any], ui: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
               errors: Iterable[dict[str, Any]] | None = None) -> Form:
    """The fields of schema in UI order, filled with values (raw or typed) and their errors."""
    ctx = _Build(errors=error_map(errors), fresh=values is None)
    fields = _object_fields(schema, ui or {}, values or {}, [], ctx)
    rest = [(k, m) for k, m in ctx.errors.items() if k not in ctx.used]
    return Form(title=str(schema.get("title", "")), description=str(schema.get("description", "")),
                fields=fields, errors=rest)


def _ordered(names: list[str], order: list[str] | None) -> list[str]:
    """names in ui:order; the rest where "*" stands, else at the end."""
    listed = [n for n in order or [] if n in names or n == "*"]
    listed += [] if "*" in listed else ["*"]
    star = listed.index("*")
    return listed[:star] + [n for n in names if n not in listed] + listed[star + 1:]


def _object_fields(schema: dict[str, Any], ui: dict[str, Any], values: Any, path: list[str | int],
                   ctx: _Build) -> list[Field]:
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    values = values if isinstance(values, dict) else {}
    return [
        _field(props[name], ui.get(name) or {}, values.get(name), [*path, name], name in required, ctx)
        for name in _ordered(list(props), ui.get("ui:order"))
    ]


def html_name(path: list[str | int]) -> str:
    """The form field name of a path: ['lines', 0, 'sku'] -> lines[0][sku]."""
    return str(path[0]) + "".join(f"[{p}]" for p in path[1:])


def _humanize(name: str | int) -> str:
    return str(name).replace("_", " ").capitalize()


def _field(prop: dict[str, Any], ui: dict[str, Any], value: Any, path: list[str | int], required: bool,
           ctx: _Build) -> Field:
    key = ".".join(str(p) for p in path)
    ctx.used.add(key)
    label = str(ui.get("ui:title") or prop.get("title") or _humanize(path[-1]))
    out = Field(key=key, name=html_name(path), label=label, widget="text", required=required,
                description=str(prop.get("description", "")), help=str(ui.get("ui:help", "")),
                error=ctx.errors.get(key))
    if value is None and ctx.fresh and "default" in prop:
        value = prop["default"]
    kind = schema_type(prop)
    if kind == "object":
        out.widget, out.children = "group", _object_fields(prop, ui, value, path, ctx)
    elif kind == "array":
        _table(out, prop, ui, value, path, ctx)
    else:
        _scalar(out, prop, ui, value, kind)
    return out


def _table(out: Field, prop: dict[str, Any], ui: dict[str, Any], value: Any, path: list[str | int],
           ctx: _Build) -> None:
    items, item_ui = prop.get("items") or {}, ui.get("items") or {}
    rows = _rows(value) or [None]
    out.widget = "table"
    out.children = _row(items, item_ui, None, [*path, INDEX], _Build(errors={}, fresh=True))
    out.rows = [_row(items, item_ui, row, [*path, i], ctx) for i, row in enumerate(rows)]


def _row(items: dict[str, Any], ui: dict[str, Any], value: Any, path: list[str | int], ctx: _Build) -> list[Field]:
    if schema_type(items) == "object":
        return _object_fields(items, ui, value, path, ctx)
    return [_field(items, ui, value, path, True, ctx)]


def _rows(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):  # raw submission: {"0": {...}, "3": {...}}
        return [value[k] for k in sorted((k for k in value if k.isdigit()), key=int)]
    return []


def display(value: Any) -> str:
    """A value as an input shows it."""
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(out: Field, prop: dict[str, Any], ui: dict[str, Any], value: Any, kind: str) -> None:
    out.value = display(value)
    widget = ui.get("ui:widget")
    if "enum" in prop:
        names = ui.get("ui:enumNames") or []
        out.options = [(display(v), str(names[i]) if i < len(names) else display(v))
                       for i, v in enumerate(prop["enum"])]
        out.widget = "radio" if widget == "radio" else "select"
    elif kind == "boolean":
        out.widget = "yesno" if out.required or widget == "radio" else "checkbox"
        out.checked = out.value in ("true", "on", "1")
    elif kind in ("number", "integer"):
        out.widget = "number"
        step = prop.get("multipleOf")
        out.attrs["step"] = display(step) if step is not None else ("1" if kind == "integer" else "any")
        for attr, word in (("min", "minimum"), ("max", "maximum")):
            if word in prop:
                out.attrs[attr] = display(prop[word])
    else:
        out.widget = _string_widget(prop, widget)
        if "maxLength" in prop:
            out.attrs["maxlength"] = str(prop["maxLength"])
    if widget == "hidden":
        out.widget = "hidden"
    if ui.get("ui:placeholder"):
        out.attrs["placeholder"] = str(ui["ui:placeholder"])
    if ui.get("ui:autofocus"):
        out.attrs["autofocus"] = "autofocus"


def _string_widget(prop: dict[str, Any], widget: str | None) -> str:
    if widget == "textarea":
        return "textarea"
    return {"date": "date", "email": "email", "uri": "url"}.get(str(prop.get("format")), "text")


def schema_type(prop: dict[str, Any]) -> str:
    """The JSON type of a property (the first non-null one; inferred from enum or properties if missing)."""
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind:
        return str(kind)
    if "properties" in prop:
        return "object"
    sample = (prop.get("enum") or [""])[0]
    return {bool: "boolean", int: "integer", float: "number"}.get(type(sample), "string")


def parse_form(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Posted name/value pairs -> nested dicts of strings (the last value of a name wins); '_x' and csrf skipped."""
    out: dict[str, Any] = {}
    for name, value in items:
        match = _NAME.match(name)
        if not isinstance(value, str) or not match or name.startswith("_") or name == "csrf_token":
            continue
        segments = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = out
        for seg in segments[:-1]:
            if not isinstance(node.get(seg), dict):
                node[seg] = {}
            node = node[seg]
        node[segments[-1]] = value
    return out


def coerce(schema: dict[str, Any], raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Raw strings typed by schema (unknown fields dropped, empty ones omitted) and the values that did not parse."""
    errors: dict[str, str] = {}
    return _coerce_object(schema, raw, [], errors), errors


def _coerce_object(schema: dict[str, Any], raw: Any, path: list[str | int], errors: dict[str, str]
                   ) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        value = _coerce_value(prop, raw.get(name), [*path, name], errors)
        if value is not _MISSING:
            out[name] = value
    return out


def _coerce_value(prop: dict[str, Any], raw: Any, path: list[str | int], errors: dict[str, str]) -> Any:
    kind = schema_type(prop)
    if kind == "object":
        obj = _coerce_object(prop, raw, path, errors)
        return obj if obj else _MISSING
    if kind == "array":
        return _coerce_array(prop, raw, path, errors)
    if not isinstance(raw, str) or not raw.strip():
        return _MISSING
    try:
        return _scalar_value(kind, raw.strip())
    except ValueError as exc:
        errors[".".join(str(p) for p in path)] = str(exc)
        return raw  # kept, so validation reports this field too


def _coerce_array(prop: dict[str, Any], raw: Any, path: list[str | int], errors: dict[str, str]) -> Any:
    items = prop.get("items") or {}
    rows = [r for r in _rows(raw) if not _blank(items, r)]
    out = [_coerce_value(items, row, [*path, i], errors) for i, row in enumerate(rows)]
    out = [v for v in out if v is not _MISSING]
    return out if out else _MISSING


def _blank(items: dict[str, Any], row: Any) -> bool:
    """A row the user left empty (checkbox defaults do not count)."""
    if isinstance(row, dict):
        props = items.get("properties") or {}
        texts = [(props.get(k) or {}, v) for k, v in row.items() if schema_type(props.get(k) or {}) != "boolean"]
        return all(_blank(p, v) for p, v in texts)
    return not (isinstance(row, str) and row.strip())


def _scalar_value(kind: str, text: str) -> Any:
    if kind in ("number", "integer"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise ValueError(N_("Enter a number."))
        if kind == "integer":
            if number != number.to_integral_value():
                raise ValueError(N_("Enter a whole number."))
            return int(number)
        return number
    if kind == "boolean":
        if text.lower() in ("true", "on", "1", "yes"):
            return True
        if text.lower() in ("false", "off", "0", "no"):
            return False
        raise ValueError(N_("Choose yes or no."))
    return text


def typed_data(schema: dict[str, Any] | None, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed form data, or InvalidInput listing values that did not parse together with the schema's errors."""
    if schema is None:
        return {}
    data, bad = coerce(schema, raw)
    if not bad:
        return data
    found: list[dict[str, Any]] = []
    try:
        validate_form_data(schema, data)
    except InvalidInput as exc:
        found = exc.errors
    merged = {**error_map(found), **bad}
    raise InvalidInput("the form has errors", code="invalid_form_data",
                       errors=[{"field": k, "message": m} for k, m in merged.items()])


def render_fields(form: Form, locale: str = "en") -> Markup:
    """The form's fields as HTML (what task and start pages include)."""
    trans = translations(locale)
    html = env.get_template("partials/form_fields.html").render(form=form, _=trans.gettext, gettext=trans.gettext,
                                                                 ngettext=trans.ngettext, index=INDEX)
    return Markup(html)
