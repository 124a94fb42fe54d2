"""Chrome trace-event JSON for Perfetto (ui.perfetto.dev) and chrome://tracing: the layout in
sim/export's docstring, written one event at a time."""

from __future__ import annotations

import json
from typing import Iterable

from ..codes import LINE_KIND_NAMES, PEND_SOURCES
from .atomic import atomic_output
from .common import check

PID = 1
TID_CPU = 1
TID_LINES = 2


def write_perfetto(events: Iterable, path, *, arch: str, clock_hz: int) -> int:
    """Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing (layout in the module
    docstring), written as the events are read. Returns the number of events read."""
    adapter = check(arch, clock_hz=clock_hz)
    name_of = adapter.exception_name
    bias = adapter.exec_priority_bias
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def us(tick):
        # whole picoseconds, then one correctly rounded division: repr gives the exact
        # decimal (40 ns -> 0.04) wherever a double can hold it
        return (tick * 10 ** 12 // clock_hz) / 10 ** 6

    # Each output event is head + repr(ts) + tail; tails repeat, so they are built once.
    cpu_b = f'{{"ph":"B","pid":{PID},"tid":{TID_CPU},"ts":'
    cpu_e = f'{{"ph":"E","pid":{PID},"tid":{TID_CPU},"ts":'
    cpu_i = f'{{"ph":"i","s":"t","pid":{PID},"tid":{TID_CPU},"ts":'
    lines_i = f'{{"ph":"i","s":"t","pid":{PID},"tid":{TID_LINES},"ts":'
    counter = f'{{"ph":"C","pid":{PID},"ts":'
    tails: dict = {}

    def tail(key, make):
        t = tails.get(key)
        if t is None:
            if len(tails) > 65536:
                tails.clear()
            name, args = make()
            t = f',"name":{dumps(name)}' + (f',"args":{dumps(args)}}}' if args else "}")
            tails[key] = t
        return t

    def span_args(kind, e, other):
        args = adapter.span_args(e)
        args["how"] = kind
        if kind == "preempt":
            args["preempted"] = name_of(other)
        elif kind == "tail-chain":
            args["after"] = name_of(other)
        return name_of(e), args

    def request_tail(num, arg):
        how = LINE_KIND_NAMES.get(arg, str(arg))
        return f"{how} {adapter.line_name(num)}", {"line": adapter.line_arg(num), "kind": how}

    def coalesce_tail(num, arg):
        what, args = adapter.coalesced(num)
        args["why"] = PEND_SOURCES.get(arg, arg)
        return f"coalesced {what}", args

    with atomic_output(path) as f:
        other = {"arch": arch, "clock_hz": clock_hz, "generator": "irqsim",
                 "time": "ts is microseconds of simulated time: tick / clock_hz * 1e6"}
        f.write('{"displayTimeUnit":"ns","otherData":' + dumps(other) + ',"traceEvents":[\n')
        meta = [
            {"ph": "M", "pid": PID, "name": "process_name", "args": {"name": f"irqsim {arch}"}},
            {"ph": "M", "pid": PID, "tid": TID_CPU, "name": "thread_name", "args": {"name": "cpu"}},
            {"ph": "M", "pid": PID, "tid": TID_LINES, "name": "thread_name",
             "args": {"name": "irq lines"}},
            {"ph": "M", "pid": PID, "tid": TID_CPU, "name": "thread_sort_index",
             "args": {"sort_index": 0}},
            {"ph": "M", "pid": PID, "tid": TID_LINES, "name": "thread_sort_index",
             "args": {"sort_index": 1}},
        ]
        f.write(",\n".join(dumps(m) for m in meta))
        out: list[str] = []         # events not yet written

        def emit(text):
            out.append(text)
            if len(out) >= 4096:
                f.write(",\n")
                f.write(",\n".join(out))
                out.clear()

        def instant(name, ts, args):
            emit(f"{cpu_i}{ts!r},\"name\":{dumps(name)},\"args\":{dumps(args)}}}")

        stack: list[int] = []       # open handler spans, innermost last
        last = None                 # latest tick on the cpu track (kept monotonic)
        depth = 0

        def close_until(e, ts):
            """Ends the spans above and including e, innermost first (none if e is not open)."""
            if e not in stack:
                return
            while stack:
                top = stack.pop()
                emit(f"{cpu_e}{ts!r}" + tail(("E", top), lambda: (name_of(top), None)))
                if top == e:
                    break

        n = 0
        for n, (tick, kind, num, arg) in enumerate(events, 1):
            if kind == "request":
                emit(f"{lines_i}{us(tick)!r}" + tail(("request", num, arg),
                                                     lambda: request_tail(num, arg)))
                continue
            if kind == "coalesce":
                emit(f"{lines_i}{us(tick)!r}" + tail(("coalesce", num, arg),
                                                     lambda: coalesce_tail(num, arg)))
                continue
            if last is None:
                last = tick
                emit(f"{cpu_b}{us(tick)!r}" + tail("thread", lambda: ("thread mode", None)))
            elif tick < last:
                tick = last
            last = tick
            ts = us(tick)
            if kind in ("entry", "preempt", "tail-chain"):
                if kind == "entry" and stack:            # entered from thread mode: all closed
                    close_until(stack[0], ts)
                elif kind == "tail-chain":
                    close_until(arg, ts)
                stack.append(num)
                other_exc = arg if kind != "entry" else 0
                emit(f"{cpu_b}{ts!r}" + tail((kind, num, other_exc),
                                             lambda: span_args(kind, num, other_exc)))
            elif kind == "return":
                close_until(num, ts)
            elif kind == "exec-priority":
                emit(f'{counter}{ts!r},"name":"exec priority",'
                     f'"args":{{"exec priority":{arg - bias}}}}}')
            elif kind == "dispatch":
                if arg == 0:
                    emit(f"{cpu_i}{ts!r}" + tail(("unhandled", num), lambda: (
                        f"unhandled index {num}", {"index": num})))
            elif kind == "fault":
                instant(f"fault {adapter.fault_name(num)}", ts,
                        {"fault": num, "address": f"{arg:#010x}"})
            elif kind == "guest-error":
                instant("guest error", ts, {"address": f"{arg:#010x}"})
            elif kind == "exit":
                instant(f"exit {arg}", ts, {"code": arg})
            elif kind == "table":
                instant(f"{'register' if arg else 'unregister'} {num}", ts, {"index": num})
            elif kind in ("claim", "complete"):
                emit(f"{cpu_i}{ts!r}" + tail((kind, num, arg), lambda: (
                    f"{kind} source {num}", {"source": num, "context": arg})))
            if len(stack) != depth:
                depth = len(stack)
                emit(f'{counter}{ts!r},"name":"depth","args":{{"depth":{depth}}}}}')
        if last is not None:
            ts = us(last)
            if stack:
                close_until(stack[0], ts)
            if depth:
                emit(f'{counter}{ts!r},"name":"depth","args":{{"depth":0}}}}')
            emit(f'{cpu_e}{ts!r},"name":"thread mode"}}')
        if out:
            f.write(",\n")
            f.write(",\n".join(out))
        f.write("\n]}\n")
    return n
