"""User-task forms: JSON Schema validation of submitted data, strict about unknown fields."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from domain.errors import InvalidInput

_FORMATS = FormatChecker()


def _strict(schema: Any) -> Any:
    """A copy of schema where every object without an explicit additionalProperties forbids unknown keys."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


_validators: dict[int, tuple[Any, Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # Keyed by identity: deployed forms come from the immutable definition cache. The schema is kept in the
    # entry so its id cannot be reused while cached.
    hit = _validators.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    # Decimal constants, so multipleOf 0.01 works exactly against Decimal data.
    strict = _strict(json.loads(json.dumps(schema), parse_float=Decimal))
    validator = Draft202012Validator(strict, format_checker=_FORMATS)
    if len(_validators) > 1024:
        _validators.clear()
    _validators[id(schema)] = (schema, validator)
    return validator


def with_defaults(schema: Any, data: Any) -> Any:
    """data with each missing property that has a schema default filled in (also inside arrays of objects)."""
    if isinstance(data, dict) and isinstance(schema, dict):
        out = dict(data)
        for name, prop in (schema.get("properties") or {}).items():
            if name not in out and isinstance(prop, dict) and "default" in prop:
                out[name] = decimalize(copy.deepcopy(prop["default"]))
            elif name in out:
                out[name] = with_defaults(prop, out[name])
        return out
    if isinstance(data, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        return [with_defaults(schema["items"], item) for item in data]
    return data


def check_schema(schema: Any) -> str | None:
    """None when schema is a valid JSON Schema, else the reason."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"{'/'.join(str(p) for p in exc.path) or '(root)'}: {exc.message}"
    return None


def _field_path(error: Any) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{extra}" if path else extra
    return path or "(form)"


def _plain(value: Any) -> str:
    return str(value) if isinstance(value, Decimal | int | float | str) else json.dumps(value, default=str)


_TEMPLATES = {
    "minimum": "Must be at least {v}.",
    "maximum": "Must be at most {v}.",
    "exclusiveMinimum": "Must be more than {v}.",
    "exclusiveMaximum": "Must be less than {v}.",
    "multipleOf": "Must be a multiple of {v}.",
    "minLength": "Must be at least {v} characters.",
    "maxLength": "Must be at most {v} characters.",
    "minItems": "Needs at least {v} entries.",
    "maxItems": "Takes at most {v} entries.",
    "format": "Must be a valid {v}.",
    "pattern": "Does not match the expected pattern.",
}


def _message(error: Any) -> str:
    """A short sentence without Python reprs (the UI translates these by keyword)."""
    if error.validator == "required":
        return "This field is required."
    if error.validator == "additionalProperties":
        return "Unknown field."
    if error.validator == "type":
        return f"Must be of type {error.validator_value}."
    if error.validator == "enum":
        return "Must be one of: " + ", ".join(_plain(v) for v in error.validator_value) + "."
    if error.validator == "const":
        return f"Must be {_plain(error.validator_value)}."
    if error.validator in _TEMPLATES:
        return _TEMPLATES[error.validator].format(v=_plain(error.validator_value))
    return str(error.message)


def validate_form_data(schema: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """data (defaults filled in) if it satisfies schema (no schema: must be empty), else InvalidInput per field."""
    if not isinstance(data, dict):
        raise InvalidInput("form data must be an object", code="invalid_form_data")
    if schema is None:
        if data:
            unknown = [{"field": k, "message": "Unknown field."} for k in data]
            raise InvalidInput("this task takes no data", code="invalid_form_data", errors=unknown)
        return data
    data = with_defaults(schema, data)
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidInput(
            "the form has errors",
            code="invalid_form_data",
            errors=[{"field": _field_path(e), "message": _message(e)} for e in errors],
        )
    return copy.deepcopy(data)


def decimalize(value: Any) -> Any:
    """Floats in value -> Decimal via their shortest repr (money must never be float)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: decimalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decimalize(v) for v in value]
    return value
