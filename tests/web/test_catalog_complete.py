"""Every UI string in the code has a Chinese translation that keeps the msgid's placeholders."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
# The keywords of `pybabel extract -k N_ -k _` (Babel's defaults already include gettext, ngettext, N_ and _).
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|\{\w+\}")
HOW_TO_FIX = ("\nRun `.venv/bin/pybabel extract -F babel.cfg -k N_ -k _ -o web/translations/messages.pot .` and "
              "`.venv/bin/pybabel update -i web/translations/messages.pot -d web/translations -D messages`, "
              "translate the entries in web/translations/zh_Hans_CN/LC_MESSAGES/messages.po, then `make i18n`.")

# A gettext call with one literal argument, wherever it is written (the extractor misses those inside f-strings).
LITERAL_CALL = re.compile(r"""(?<![\w.])(?:_|N_|gettext)\(\s*((?P<q>['"])(?:\\.|(?!(?P=q)).)*(?P=q))\s*\)""")

Msgid = str | tuple[str, ...]


@cache
def source_messages() -> dict[Msgid, str]:
    """The messages the code marks for translation, each with its first location (as pybabel extracts them)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[Msgid, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else tuple(message)
        if forms(msgid)[0]:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@cache
def chinese() -> Catalog:
    with CATALOG.open("rb") as po:
        return read_po(po)


def forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """The singular and plural forms of a msgid or msgstr."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def why_untranslatable(msgid: Msgid) -> str:
    """A hint for msgids Babel reads as positional placeholders, which no translation can match."""
    if any(re.search(r"%(?!\(|%)", form) for form in forms(msgid)):
        return "  <- a bare '%' in the msgid is read as a placeholder; reword the msgid without it (e.g. 'percent')"
    return ""


def test_every_ui_message_has_a_chinese_translation() -> None:
    catalog = chinese()
    missing = []
    for msgid, where in sorted(source_messages().items(), key=lambda item: item[1]):
        entry = catalog.get(msgid)
        if entry is None:
            problem = "not in the catalog"
        elif entry.fuzzy:
            problem = "fuzzy"
        elif not all(forms(entry.string)):
            problem = "untranslated"
        else:
            continue
        missing.append(f"{where}: {problem}: {msgid!r}{why_untranslatable(msgid)}")
    assert not missing, f"{len(missing)} UI messages lack a Chinese translation:\n" + "\n".join(missing) + HOW_TO_FIX


def test_chinese_translations_keep_the_placeholders() -> None:
    wrong = []
    for entry in chinese():
        if not entry.id or entry.fuzzy or not all(forms(entry.string)):
            continue
        expected = {p for form in forms(entry.id) for p in PLACEHOLDER.findall(form)}
        for translated in forms(entry.string):
            found = set(PLACEHOLDER.findall(translated))
            if found != expected:
                wrong.append(f"{entry.id!r} -> {translated!r}: expected {sorted(expected)}, found {sorted(found)}")
    assert not wrong, "Chinese translations with other placeholders than their msgid:\n" + "\n".join(wrong)


def test_the_chinese_catalog_passes_babels_compile_checks() -> None:
    errors = [f"{entry.id!r}: {', '.join(map(str, problems))}" for entry, problems in chinese().check()]
    assert not errors, "`make i18n` would report:\n" + "\n".join(errors)


def test_every_literal_gettext_call_in_python_reaches_the_extractor() -> None:
    extracted = {form for msgid in source_messages() for form in forms(msgid)}
    hidden = []
    for path in sorted((ROOT / "web").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in LITERAL_CALL.finditer(line):
                if ast.literal_eval(match.group(1)) not in extracted:
                    hidden.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not hidden, ("Calls pybabel cannot see (e.g. inside an f-string); call gettext outside the f-string:\n"
                        + "\n".join(hidden))
