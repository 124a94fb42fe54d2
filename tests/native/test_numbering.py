"""Every number table of sim/codes.py (and the trace record layout of sim/trace.py) matches the C
sources it mirrors: the enums and #defines of sim/native, read with regular expressions. A C
change that renumbers, adds or drops a code fails here until the Python side follows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import codes, trace

NATIVE = Path(codes.__file__).resolve().parent / "native"


def _sources(scope: str = "") -> list[Path]:
    """The C sources and headers of the core; `scope` ("armv7m", "rv32") keeps those of one
    architecture (by path, so that files may move into per-architecture folders)."""
    files = sorted(p for p in NATIVE.rglob("*") if p.suffix in (".c", ".h"))
    return [p for p in files if scope in str(p.relative_to(NATIVE))]


def _text(path: Path) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", path.read_text(), flags=re.S)


def _value(expr: str, known: dict) -> int | None:
    """The value of a #define's integer expression (literals, <<, |, +, names defined before), or
    None for anything else (strings, casts, function-like macros)."""
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", expr.strip())
    expr = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: str(known[m.group()]) if m.group() in known
                  else m.group(), expr)
    if not expr or not re.fullmatch(r"[0-9a-fA-FxX\s()<|+~-]+", expr):
        return None
    return eval(expr, {"__builtins__": {}})  # noqa: S307 (digits and operators only)


def c_constants(scope: str = "") -> dict[str, int]:
    """NAME -> value of every integer #define and enum member in scope; a name defined twice
    with different values fails the test that asks."""
    found: dict[str, int] = {}

    def put(name, value, where):
        if value is None:
            return
        assert found.get(name, value) == value, f"{name} is {found[name]} and {value} ({where})"
        found[name] = value

    for path in _sources(scope):
        text = _text(path)
        for name, expr in re.findall(r"^[ \t]*#define[ \t]+(\w+)[ \t]+([^\n]+)$", text, re.M):
            put(name, _value(expr, found), path.name)
        for body in re.findall(r"\benum\b\s*\w*\s*\{(.*?)\}", text, re.S):
            nxt = 0
            for member in filter(None, (m.strip() for m in body.split(","))):
                name, _, expr = member.partition("=")
                value = _value(expr, found) if expr else nxt
                put(name.strip(), value, path.name)
                nxt = (value or 0) + 1
    return found


def prefixed(consts: dict, prefix: str) -> dict[str, int]:
    """{name without the prefix: value} of the constants whose names start with `prefix`."""
    return {k[len(prefix):]: v for k, v in consts.items() if k.startswith(prefix)}


@pytest.fixture(scope="module")
def c():
    return c_constants()


def test_stop_reasons_are_enum_core_stop(c):
    stops = prefixed(c, "STOP_")
    del stops["NONE"]
    assert codes.STOP_REASONS == {v: k.lower().replace("_", "-") for k, v in stops.items()}
    assert codes.STOP_REASONS[codes.STOP_TRACE_FULL] == "trace-full"


def test_event_kinds_are_enum_core_event(c):
    recorded = {k: v for k, v in prefixed(c, "EV_").items() if v < c["EV_RECORDED_END"]}
    assert codes.EVENT_KINDS == {v: k.lower().replace("_", "-") for k, v in recorded.items()}
    assert {"tail-chain", "exec-priority", "guest-error"} <= set(codes.EVENT_KINDS.values())
    assert trace.EVENT_KINDS is codes.EVENT_KINDS


def test_line_kinds_are_enum_line_kind(c):
    want = {k.lower(): v for k, v in prefixed(c, "LINE_").items() if k in ("RAISE", "LOWER",
                                                                           "PULSE")}
    assert codes.LINE_KINDS == want and len(want) == 3
    assert codes.LINE_NMI == c["LINE_NMI"] and codes.LINE_MSIP == c["LINE_MSIP"]


def test_pend_sources_are_pend_defines(c):
    assert codes.PEND_SOURCES == {v: k.lower() for k, v in prefixed(c, "PEND_").items()}


def test_priority_note_registers_are_prio_note_defines(c):
    names = {"IPR": "NVIC_IPR", "SHPR": "SHPR", "BASEPRI": "BASEPRI"}
    assert codes.ARMV7M_PRIO_NOTE_REGS == {v: names[k] for k, v in
                                           prefixed(c, "PRIO_NOTE_").items()}


def test_every_fault_cause_the_core_reports_has_a_text(c):
    used = set()
    for path in _sources():
        if path.suffix == ".c":
            used |= set(re.findall(r"\bFAULT_(\w+)", _text(path)))
    faults = prefixed(c, "FAULT_")
    assert set(codes.FAULT_CAUSES) == {faults[k] for k in used if k in faults}
    assert set(codes.FAULT_CAUSES) <= set(faults.values())


def test_storm_source_kinds_and_histogram_are_api_h(c):
    assert codes.SOURCE_KINDS == {k.lower(): v for k, v in prefixed(c, "SRC_").items()}
    assert codes.HIST_BUCKETS == c["HIST_BUCKETS"]


def test_trace_record_layout_is_struct_trace_rec():
    body = re.search(r"struct trace_rec\s*\{(.*?)\}", _text(NATIVE / "api.h"), re.S).group(1)
    fmt = {"uint64_t": "Q", "uint32_t": "I", "uint16_t": "H", "uint8_t": "B"}
    fields = re.findall(r"(uint\d+_t)\s+(\w+);", body)
    assert [n for _, n in fields] == ["tick", "kind", "num", "arg"]
    assert trace.RECORD.format == "<" + "".join(fmt[t] for t, _ in fields)


def test_armv7m_exception_numbers_are_the_models(c):
    exc = prefixed(c_constants("armv7m"), "EXC_")
    exc.pop("IRQ0", None)          # ARMV7M_EXC_IRQ0 of api.h
    assert codes.ARMV7M_EXC_IRQ0 == c["ARMV7M_EXC_IRQ0"] == 16
    assert {n: stem for n, (_, stem) in codes.ARMV7M_SYSTEM_EXCEPTIONS.items()} == \
        {v: f"exc{v}_{k.lower()}" for k, v in exc.items()}


def test_armv7m_exec_priority_bias_is_the_models():
    biases = set()
    for path in _sources("armv7m"):
        biases |= {int(b) for b in re.findall(r"EV_EXEC_PRIORITY\b[^;]*\+\s*(\d+)\s*\)", _text(path))}
    assert biases == {codes.ARMV7M_EXEC_PRIORITY_BIAS}


def test_rv32_trace_numbers_are_the_models(c):
    rv = c_constants("rv32")
    assert codes.RV32_NUM_EXCEPTION == c["RV32_NUM_EXCEPTION"]
    assert codes.RV32_NUM_LOCAL == c["RV32_NUM_LOCAL"]
    assert codes.RV32_MCAUSE_INTERRUPT == rv["MCAUSE_INTERRUPT"]
    assert {n: name for n, (name, _) in codes.RV32_MACHINE_INTERRUPTS.items()} == \
        {v: k for k, v in prefixed(rv, "IRQ_").items()}
    # every exception code the model raises has a name (ecall: 8 + the privilege, U/S/M)
    raised = set(prefixed(rv, "EXC_").values()) | {rv["EXC_ECALL_U"] + p for p in (1, 3)}
    assert raised <= set(codes.RV32_EXCEPTION_NAMES)


def test_latency_kinds_are_the_histograms_record_latency_uses():
    calls = set()
    for path in _sources():
        calls |= set(re.findall(r"record_latency\([^,;]+,[^,;]+,\s*(\d+)\s*,[^,;]+,"
                                r"\s*&a->max_(\w+)_latency", _text(path)))
    assert {kind: int(which) for which, kind in calls} == codes.LATENCY_KINDS


def test_fault_status_bit_names_cover_the_bits_the_model_sets():
    arm = c_constants("armv7m")
    for prefix, table in (("CFSR_", codes.ARMV7M_CFSR_BITS), ("HFSR_", codes.ARMV7M_HFSR_BITS)):
        defined = prefixed(arm, prefix)
        assert defined, f"no {prefix}* in armv7m.h"
        for name, value in defined.items():
            bit = value.bit_length() - 1
            assert value == 1 << bit and table.get(bit) == name, (prefix + name, table.get(bit))


def test_stop_stuck_is_a_stop_reason(c):
    assert codes.STOP_REASONS[c["STOP_STUCK"]] == "stuck"
