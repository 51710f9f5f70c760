"""web.form_html: JSON Schema forms rendered to fields, posted strings coerced to typed data."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidInput
from web.form_html import INDEX, build_form, coerce, parse_form, render_fields, typed_data
from web.pages.messages import readable_errors

FORMS = Path(__file__).resolve().parents[2] / "processes" / "forms"


def load(name: str) -> dict[str, Any]:
    return json.loads((FORMS / name).read_text())


SAMPLES = Path(__file__).resolve().parent / "form_samples"
# A quote form with every widget the renderer has (money, percent, dates, a table): a frozen sample, not a process's.
QUOTE = json.loads((SAMPLES / "quote_lines.schema.json").read_text())
QUOTE_UI = json.loads((SAMPLES / "quote_lines.uischema.json").read_text())
QUALIFY, QUALIFY_UI = load("qualify_lead.schema.json"), load("qualify_lead.uischema.json")
LEAD, LEAD_UI = load("lead_start.schema.json"), load("lead_start.uischema.json")
OPTIONAL_FLAG = {"type": "object", "properties": {"urgent": {"type": "boolean", "title": "Urgent"},
                                                  "count": {"type": "integer"}}}


def html(schema: dict[str, Any], ui: dict[str, Any] | None = None, values: Any = None,
         errors: list[dict[str, Any]] | None = None) -> str:
    return str(render_fields(build_form(schema, ui, values, errors)))


def test_fields_follow_ui_order_with_titles_and_required_markers() -> None:
    form = build_form(LEAD, LEAD_UI)
    assert [f.key for f in form.fields] == ["customer_code", "company_name", "contact_name", "phone", "email", "region",
                                            "industry", "lead_title", "source", "expected_amount", "notes"]
    assert form.title == "New lead"
    out = html(LEAD, LEAD_UI)
    assert "Customer code" in out and 'class="req"' in out
    assert "Code of an existing customer in the CRM" in out


def test_widgets_match_schema_types_and_hints() -> None:
    widgets = {f.key: f.widget for f in build_form(LEAD, LEAD_UI).fields}
    assert widgets == {"customer_code": "text", "company_name": "text", "contact_name": "text", "phone": "text",
                       "email": "text", "region": "text", "industry": "text", "lead_title": "text",
                       "source": "select", "expected_amount": "number", "notes": "textarea"}
    out = html(LEAD, LEAD_UI)
    assert '<option value="trade_show">Trade show</option>' in out  # ui:enumNames
    assert 'autofocus="autofocus"' in out


def test_number_step_comes_from_multiple_of_and_dates_use_date_inputs() -> None:
    out = html(QUOTE, QUOTE_UI)
    assert 'name="lines[0][unit_price]"' in out and 'step="0.01"' in out
    assert 'type="date" id="f-valid_until"' in out


def test_required_boolean_is_a_yes_no_choice_and_optional_one_a_checkbox() -> None:
    qualify = {f.key: f.widget for f in build_form(QUALIFY, QUALIFY_UI).fields}
    assert qualify["qualified"] == "yesno" and qualify["budget_confirmed"] == "checkbox"
    out = html(QUALIFY, QUALIFY_UI, {"qualified": "true"})
    assert 'name="qualified" value="true" checked' in out


def test_array_of_objects_is_a_table_with_a_template_row() -> None:
    (lines, *_) = build_form(QUOTE, QUOTE_UI).fields
    assert lines.widget == "table"
    assert [c.key for c in lines.children] == [f"lines.{INDEX}.{k}" for k in
                                               ("item_sku", "quantity", "unit_price", "discount_pct")]
    assert len(lines.rows) == 1 and lines.rows[0][3].value == "0"  # schema default in a fresh form
    out = html(QUOTE, QUOTE_UI)
    assert "<template data-row-template>" in out and f'name="lines[{INDEX}][quantity]"' in out


def test_errors_show_next_to_their_fields_with_the_entered_values() -> None:
    raw = {"lines": {"0": {"item_sku": "PUMP-100", "quantity": "abc", "unit_price": "1"}}}
    errors = [{"field": "lines.0.quantity", "message": "Enter a number."},
              {"field": "lines.0.bogus", "message": "Unknown field."}]
    form = build_form(QUOTE, QUOTE_UI, raw, errors)
    cell = form.fields[0].rows[0][1]
    assert cell.error == "Enter a number." and cell.value == "abc"
    assert form.errors == [("lines.0.bogus", "Unknown field.")]  # no field for it: listed on top
    out = html(QUOTE, QUOTE_UI, raw, errors)
    assert 'value="PUMP-100"' in out and 'aria-invalid="true"' in out


def test_values_are_escaped() -> None:
    out = html(LEAD, LEAD_UI, {"lead_title": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in out and "&lt;script&gt;" in out


def test_parse_form_builds_nested_rows_and_skips_csrf_and_private_fields() -> None:
    raw = parse_form([("csrf_token", "x"), ("_business_key", "K"), ("lines[0][item_sku]", "A"),
                      ("lines[2][item_sku]", "B"), ("note", "n"), ("flag", "false"), ("flag", "true"), ("a[", "bad")])
    assert raw == {"lines": {"0": {"item_sku": "A"}, "2": {"item_sku": "B"}}, "note": "n", "flag": "true"}


def test_numbers_become_decimal_never_float() -> None:
    raw = {"lines": {"0": {"item_sku": "PUMP-100", "quantity": "30", "unit_price": "2600.10", "discount_pct": "0"}}}
    data, errors = coerce(QUOTE, raw)
    assert errors == {}
    line = data["lines"][0]
    assert line == {"item_sku": "PUMP-100", "quantity": Decimal("30"), "unit_price": Decimal("2600.10"),
                    "discount_pct": Decimal("0")}
    assert all(not isinstance(v, float) for v in line.values())


def test_integers_become_int_and_fractions_are_rejected() -> None:
    assert coerce(OPTIONAL_FLAG, {"count": "7"})[0] == {"count": 7}
    assert coerce(OPTIONAL_FLAG, {"count": "7.5"})[1] == {"count": "Enter a whole number."}


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "1,5"])
def test_text_that_is_not_a_number_is_an_error(text: str) -> None:
    data, errors = coerce(LEAD, {"expected_amount": text})
    assert errors == {"expected_amount": "Enter a number."} and data["expected_amount"] == text


def test_empty_optional_fields_are_omitted_and_unknown_fields_dropped() -> None:
    data, errors = coerce(LEAD, {"customer_code": " C-1 ", "lead_title": "", "notes": "  ", "hacker": "x"})
    assert data == {"customer_code": "C-1"} and errors == {}


def test_blank_rows_are_dropped_and_gaps_in_row_numbers_closed() -> None:
    raw = {"lines": {"3": {"item_sku": "B", "quantity": "1", "unit_price": "2"},
                     "0": {"item_sku": "A", "quantity": "1", "unit_price": "2"},
                     "1": {"item_sku": "", "quantity": "", "unit_price": ""}}}
    data, _ = coerce(QUOTE, raw)
    assert [line["item_sku"] for line in data["lines"]] == ["A", "B"]


def test_booleans_from_checkbox_and_yes_no() -> None:
    assert coerce(QUALIFY, {"qualified": "false", "budget_confirmed": "true"})[0] == {
        "qualified": False, "budget_confirmed": True}
    assert coerce(QUALIFY, {})[0] == {}  # an unanswered yes/no stays missing: the schema requires it
    assert coerce(OPTIONAL_FLAG, {"urgent": "maybe"})[1] == {"urgent": "Choose yes or no."}


def test_typed_data_reports_parse_errors_together_with_schema_errors() -> None:
    with pytest.raises(InvalidInput) as caught:
        typed_data(LEAD, {"customer_code": "C-1", "expected_amount": "lots"})
    fields = {e["field"]: e["message"] for e in caught.value.errors}
    assert fields["expected_amount"] == "Enter a number."
    assert fields["lead_title"] == "This field is required." and "source" in fields


def test_typed_data_without_a_form_is_empty() -> None:
    assert typed_data(None, {"anything": "x"}) == {}


@pytest.mark.parametrize(("message", "readable"), [
    ("Decimal('-1') is less than or equal to the minimum of 0", "Must be more than 0."),
    ("Decimal('-5') is less than the minimum of 0", "Must be at least 0."),
    ("Decimal('1.234') is not a multiple of Decimal('0.01')", "Must be a multiple of 0.01."),
    ("'' should be non-empty", "This field is required."),
    ("'2025-13-01' is not a 'date'", "Enter a valid date."),
    ("something the rules do not know", "something the rules do not know"),
])
def test_schema_messages_are_made_readable(message: str, readable: str) -> None:
    assert readable_errors([{"field": "x", "message": message}], lambda s: s) == [{"field": "x", "message": readable}]
