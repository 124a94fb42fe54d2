"""Fixtures for the exporters: real traces from the Cortex-M demo, and a small VCD reader."""

import re

import pytest

import sim
from sim.trace import TraceWriter

def demo_machine():
    """The demo firmware looping forever in thread mode (demo_loops = 0)."""
    m = sim.Machine.demo()
    m.symbols["demo_loops"].write("<I", 0)
    return m


def storm(m):
    """100 pulses over lines 0-7, one every 500 ticks (line 3 has no handler: unhandled)."""
    for i in range(100):
        m.pulse_irq(i % 8, at=20_000 + 500 * i)
    m.run(ticks=100_000)
    return m


@pytest.fixture(scope="session")
def storm_run():
    """(machine, events) of `storm` on the demo."""
    m = storm(demo_machine())
    return m, list(m.events)


@pytest.fixture(scope="session")
def preempt_run():
    """(machine, events): line 4 (priority 0xa0) busy for 2000 loop iterations, preempted by
    line 5 (0x20) at 20100 and by a level request on line 0 (0x80) raised at 20200 and lowered
    at 20210, before the handler returns (the demo does not lower lines itself)."""
    m = demo_machine()
    m.run(ticks=10_000)                               # booted: the write sticks wherever
    m.symbols["handler_work"].write("<8I", 0, 0, 0, 0, 2000, 0, 0, 0)
    m.pulse_irq(4, at=20_000)
    m.pulse_irq(5, at=20_100)
    m.raise_irq(0, at=20_200)
    m.lower_irq(0, at=20_210)
    m.pulse_irq(3, at=40_000)
    m.run(ticks=50_000)
    return m, list(m.events)


@pytest.fixture(scope="session")
def trace_file(tmp_path_factory):
    """(path of a TraceWriter file, the same run's events decoded in memory) for `storm`."""
    path = tmp_path_factory.mktemp("trace") / "storm.trace"
    m = demo_machine()
    raw = []
    with TraceWriter(path) as w:
        def tee(chunk):
            w(chunk)
            raw.append(chunk)
        m.set_trace_sink(tee)
        storm(m)
    events = sim.trace.decode(b"".join(raw), "armv7m")
    assert m.events == [] and len(events) == w.records > 100
    return path, events


# ---- VCD reader ---------------------------------------------------------------------------

class Vcd:
    """A parsed VCD: header fields, variables by name, and each variable's changes."""

    def __init__(self, text):
        self.header = {}
        self.vars = {}          # name -> (type, size)
        self.changes = {}       # name -> [(time, value)], value an int (x/z -> None)
        self.end = 0
        ids = {}
        head, _, body = text.partition("$enddefinitions $end")
        for kw, content in re.findall(r"\$(\w+)\s+(.*?)\s*\$end", head, re.S):
            if kw == "var":
                typ, size, ident, name = content.split()[:4]
                ids.setdefault(ident, []).append(name)
                self.vars[name] = (typ, int(size))
                self.changes[name] = []
            elif kw not in ("scope", "upscope"):
                self.header[kw] = content
        t = 0
        for tok in body.split("\n"):
            tok = tok.strip()
            if not tok or tok.startswith("$"):
                continue
            if tok.startswith("#"):
                nt = int(tok[1:])
                assert nt >= t, f"time goes back: #{nt} after #{t}"
                t = self.end = nt
                continue
            if tok[0] in "bB":
                bits, ident = tok[1:].split()
            else:
                bits, ident = tok[0], tok[1:]
            val = None if any(c in bits for c in "xXzZ") else int(bits, 2)
            for name in ids[ident]:
                ch = self.changes[name]
                assert not ch or ch[-1][0] != t, f"{name} changes twice at #{t}"
                ch.append((t, val))

    def at(self, name, time):
        """The value of `name` at `time` (after the changes at that time)."""
        val = None
        for t, v in self.changes[name]:
            if t > time:
                break
            val = v
        return val

    def signed(self, name, time):
        v = self.at(name, time)
        bits = self.vars[name][1]
        return v - (1 << bits) if v is not None and v >> (bits - 1) else v

    def edges(self, name):
        """[(time, value)] after the initial value."""
        return self.changes[name][1:]


@pytest.fixture
def read_vcd():
    def read(path):
        with open(path, encoding="utf-8") as f:
            return Vcd(f.read())
    return read
