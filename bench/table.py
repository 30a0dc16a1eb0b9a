"""``python -m bench table <file.jsonl>``: the lines of a harness run as ONE markdown table.

Columns: benchmark, target, baseline, figure, ratio, met, load average, what limits it. The
benchmarks' lines vary (bench/README.md, "The line format"); this reads, in order of preference:

- figure: ``figure_value`` with ``unit``; ``figure_ms``; the key a target names (``errors == 0``);
  else the line's first measurement (a key ending in ``_ms``, ``_per_s``, ``_bytes``, ``_mb``),
  described by ``figure``;
- baseline: ``baseline_value`` with ``baseline_unit`` (else ``unit``); ``baseline_ms``;
  ``baseline_p50_ms``; ``bare_per_s``; ``baseline_bytes``; else the line's second measurement,
  described by ``baseline``;
- ratio: ``ratio``; else the ratio key a target names; else the first ``ratio_*`` key;
- target: ``target`` (a string such as ``"<= 1.5"``, ``"< 300 ms"``, ``"ratio_p50 <= 3"``,
  ``"errors == 0"``); else ``target_bytes``;
- met: ``met`` (or ``ok``) when the line says; else the target checked against the key it names,
  the figure when it has a unit, or the ratio; ``?`` when none applies;
- load average: ``load_before`` / ``load_after`` (1, 5, 15 minutes; the harness adds them);
- what limits it: ``limit`` when the line has one (else left for the note).
"""

from __future__ import annotations

import argparse
import json
import operator
import re
import sys
from pathlib import Path
from typing import Any

QUALIFIERS = ("role", "persona", "level", "page", "layer", "kind", "scope", "size", "tasks")
UNITS = {"_ms": "ms", "_per_s": "/s", "_bytes": "B", "_mb": "MB", "_kb": "KB"}
MEASURE_EXACT = {"per_s": "/s", "errors": ""}
NOT_MEASURES = ("baseline", "bare", "build", "ratio", "target", "load", "seconds")
OPS = {"<=": operator.le, "≤": operator.le, "<": operator.lt, ">=": operator.ge, "≥": operator.ge,
       ">": operator.gt, "==": operator.eq, "=": operator.eq}
TARGET = re.compile(r"^\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*)?(<=|>=|==|≤|≥|<|>|=)\s*"
                    r"(-?[\d.]+)\s*([A-Za-z%/]*)\s*$")
TO_BASE = {"ms": ("ms", 1.0), "s": ("ms", 1000.0), "B": ("B", 1.0), "KB": ("B", 1024.0),
           "MB": ("B", 1024.0 ** 2)}
COLUMNS = ("benchmark", "target", "baseline", "figure", "ratio", "met", "load average",
           "what limits it")


def _unit_of(key: str) -> str | None:
    if key in MEASURE_EXACT:
        return MEASURE_EXACT[key]
    for suffix, unit in UNITS.items():
        if key.endswith(suffix):
            return unit
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _measures(line: dict) -> list[tuple[str, float, str]]:
    """The line's measurements in its own order: (key, value, unit)."""
    found = []
    for key, value in line.items():
        unit = _unit_of(key)
        number = _number(value)
        if unit is None or number is None or key.startswith(NOT_MEASURES):
            continue
        if key not in MEASURE_EXACT and any(p in key for p in ("p99", "mean", "idle_traced")):
            continue
        found.append((key, number, unit))
    return found


def _target(line: dict) -> tuple[str, tuple | None]:
    """(the target as printed, its parsed form: key, op, number, unit)."""
    raw = line.get("target")
    if raw is None and _number(line.get("target_bytes")) is not None:
        raw = f"<= {int(line['target_bytes'])} bytes"
    if raw is None:
        return "", None
    text = str(raw)
    m = TARGET.match(text)
    if not m:
        return text, None
    key, op, number, unit = m.groups()
    unit = {"bytes": "B", "byte": "B", "kB": "KB"}.get(unit, unit)
    return text, (key, op, float(number), unit)


def _ratio(line: dict, target_key: str | None) -> tuple[str, float] | None:
    if _number(line.get("ratio")) is not None:
        return "ratio", float(line["ratio"])
    if target_key and target_key.startswith("ratio") and _number(line.get(target_key)) is not None:
        return target_key, float(line[target_key])
    for key, value in line.items():
        if key.startswith("ratio_") and _number(value) is not None:
            return key, float(value)
    return None


def _figure(line: dict, target_key: str | None) -> tuple[float, str, str] | None:
    """(value, unit, key) of the line's figure."""
    if _number(line.get("figure_value")) is not None:
        return float(line["figure_value"]), str(line.get("unit", "")), "figure_value"
    if _number(line.get("figure_ms")) is not None:
        return float(line["figure_ms"]), "ms", "figure_ms"
    if (target_key and not target_key.startswith("ratio")
            and _number(line.get(target_key)) is not None):
        return float(line[target_key]), _unit_of(target_key) or "", target_key
    measures = _measures(line)
    if measures:
        key, value, unit = measures[0]
        return value, unit, key
    return None


def _baseline(line: dict, figure_key: str | None) -> tuple[float, str] | None:
    if _number(line.get("baseline_value")) is not None:
        return float(line["baseline_value"]), str(line.get("baseline_unit", line.get("unit", "")))
    for key in ("baseline_ms", "baseline_p50_ms", "bare_per_s", "baseline_bytes",
                "bare_p50_ms"):
        if _number(line.get(key)) is not None:
            return float(line[key]), _unit_of(key) or ""
    others = [m for m in _measures(line) if m[0] != figure_key]
    if others and figure_key not in MEASURE_EXACT:
        return others[0][1], others[0][2]
    return None


def _convert(value: float, unit: str, want: str) -> float | None:
    if unit == want:
        return value
    have, want_base = TO_BASE.get(unit), TO_BASE.get(want)
    if have and want_base and have[0] == want_base[0]:
        return value * have[1] / want_base[1]
    return None


def _met(line: dict, target: tuple | None, figure: tuple | None,
         ratio: tuple[str, float] | None) -> bool | None:
    for key in ("met", "ok"):
        if isinstance(line.get(key), bool):
            return line[key]
    if target is None:
        return None
    key, op, number, unit = target
    if key:
        value = _number(line.get(key))
    elif unit and figure is not None:
        value = _convert(figure[0], figure[1], unit)
    elif ratio is not None:
        value = ratio[1]
    else:
        value = None
    return None if value is None else OPS[op](value, number)


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _with_unit(value: float, unit: str) -> str:
    if not unit:
        return _fmt(value)
    return f"{_fmt(value)}{unit}" if unit.startswith("/") else f"{_fmt(value)} {unit}"


def _size(n: Any) -> str:
    number = _number(n)
    if number is None:
        return str(n)
    if number >= 1_000_000 and number % 1_000_000 == 0:
        return f"{int(number // 1_000_000)}M"
    if number >= 1000 and number % 1000 == 0:
        return f"{int(number // 1000)}k"
    return _fmt(number)


def _load(line: dict) -> str:
    def one(v: Any) -> str:
        if isinstance(v, (list, tuple)) and v:
            v = v[0]
        number = _number(v)
        return "" if number is None else f"{number:.1f}"

    before, after = one(line.get("load_before")), one(line.get("load_after"))
    if before and after:
        return f"{before} → {after}"
    return before or after or one(line.get("load"))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def row(line: dict) -> list[str] | None:
    """The table row of one JSON line, or None when the line is not a figure."""
    if "bench" not in line or "harness" in line:
        return None
    qualifiers = [f"{k} {_size(line[k]) if k in ('tasks', 'size') else line[k]}"
                  for k in QUALIFIERS if k in line and line[k] not in (None, "")]
    name = line["bench"] + (f" ({', '.join(qualifiers)})" if qualifiers else "")
    if "skipped" in line:
        return [name, "", "", f"skipped: {line['skipped']}", "", "", _load(line),
                line.get("limit", "")]
    if not any(k in line for k in ("figure", "ratio", "target", "met", "figure_value",
                                   "figure_ms")):
        return None
    target_text, target = _target(line)
    target_key = target[0] if target else None
    ratio = _ratio(line, target_key)
    figure = _figure(line, target_key)
    baseline = _baseline(line, figure[2] if figure else None)
    met = _met(line, target, figure, ratio)
    figure_cell = ""
    if figure is not None:
        unnamed = figure[1] == "" and figure[2] not in ("figure_value", "figure_ms")
        figure_cell = (f"{figure[2]} " if unnamed else "") + _with_unit(figure[0], figure[1])
    if line.get("figure"):
        figure_cell = f"{figure_cell} — {line['figure']}" if figure_cell else str(line["figure"])
    baseline_cell = _with_unit(*baseline) if baseline else ""
    if line.get("baseline"):
        baseline_cell = (f"{baseline_cell} — {line['baseline']}" if baseline_cell
                         else str(line["baseline"]))
    ratio_cell = ""
    if ratio is not None:
        ratio_cell = _fmt(ratio[1]) + ("" if ratio[0] == "ratio" else f" ({ratio[0]})")
    met_cell = {True: "met", False: "**missed**", None: "?"}[met]
    return [name, target_text, baseline_cell, figure_cell, ratio_cell, met_cell, _load(line),
            str(line.get("limit", ""))]


def read(path: Path) -> list[dict]:
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = text.strip()
        if not text.startswith("{"):
            continue
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            print(f"# {path}:{number}: not JSON, skipped", file=sys.stderr)
    return lines


def table(lines: list[dict]) -> str:
    rows = [r for r in (row(line) for line in lines) if r is not None]
    # A benchmark that failed before printing a figure still gets its row.
    shown = {line.get("bench") for line in lines if row(line) is not None}
    for line in lines:
        if line.get("harness") == "bench" and line.get("exit") not in (0, None) \
                and line.get("name") not in shown:
            rows.append([line["name"], "", "", f"failed (exit {line['exit']}), no figure", "",
                         "**missed**", _load(line), ""])
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench table",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a bench/results/<timestamp>.jsonl file")
    args = parser.parse_args(argv)
    lines = read(args.file)
    start = next((line for line in lines if line.get("harness") == "start"), None)
    if start:
        print(f"Run {start.get('started', '?')}, {_size(start.get('tasks', '?'))} tasks, commit "
              f"{start.get('commit', '?')}, load average at the start "
              f"{' '.join(f'{x:.2f}' for x in start.get('load', []))}.\n")
    print(table(lines))
    return 0
