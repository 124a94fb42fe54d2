"""irqsim's pytest plugin: machines as fixtures, interrupt assertions, failure context, traces.

Installed with the package (entry point `pytest11`, name `irqsim`: pyproject.toml), so a suite
in an environment with irqsim installed needs nothing to load it; without the install, run
pytest with `-p sim.pytest_plugin`. docs/testing.md shows it in use.

Fixtures
    machine        a factory: machine(image=None, board=None, **options) -> Machine. `image` is
                   an ELF path or "demo" (the board's bundled demo, as in scenario files);
                   `options` are Machine's keyword arguments. Every machine it made is closed
                   after the test.
    demo_machine   machine("demo") on the board of the marker or --irqsim-board.
    storm          storm(scenario=None, **fields) runs a storm (a Scenario, a dict as in a
                   scenario file, a .toml path, or None for the board's default storm; fields
                   override the Scenario's: seed=, ticks=, ...) and returns its Report;
                   storm.record(m) records a machine's own storm. Both attach the figures with
                   record_property (irqsim_storm_requests, _handled, ..., _p99_entry_latency),
                   so --junitxml carries them.
Marker
    @pytest.mark.irqsim(board=..., image=..., **options)   defaults of those fixtures
Options
    --irqsim-board NAME   default board (mps2-an385)
    --irqsim-image PATH   default image for machine() (the demo)
    --irqsim-traces DIR   on a failing test, write the VCD and Perfetto trace of each of its
                          machines to DIR (off by default)
A failing test's report gets a section per machine: the stop, the last 20 events with symbols,
the console tail (Machine.failure_report) and the trace files written.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from pathlib import Path

import pytest

from .errors import ConfigError

DEFAULT_BOARD = "mps2-an385"
_MADE = pytest.StashKey[list]()          # the machine factory of a test item, if it used one

PROPERTY_PREFIX = "irqsim_"


def pytest_addoption(parser):
    g = parser.getgroup("irqsim", "irqsim firmware tests")
    g.addoption("--irqsim-board", default=None, metavar="NAME",
                help=f"board of demo_machine and of machine() without board= "
                     f"(default {DEFAULT_BOARD})")
    g.addoption("--irqsim-image", default=None, metavar="PATH",
                help="image of machine() without an image (default: the board's demo)")
    g.addoption("--irqsim-traces", default=None, metavar="DIR",
                help="write the VCD and Perfetto trace of a failing test's machines to DIR")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "irqsim(board=None, image=None, **options): the board, image and Machine "
                   "options of the machine, demo_machine and storm fixtures")


def _defaults(request) -> tuple[str, str, dict]:
    """(board, image, Machine options) from the marker, then the command line, then built in."""
    marker = request.node.get_closest_marker("irqsim")
    kw = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        raise ConfigError("@pytest.mark.irqsim takes keywords only: board=..., image=..., "
                          "and Machine options")
    opt = request.config.getoption
    board = kw.pop("board", None) or opt("irqsim_board") or DEFAULT_BOARD
    image = kw.pop("image", None) or opt("irqsim_image") or "demo"
    return board, image, kw


class MachineFactory:
    """The `machine` fixture: makes machines, remembers them for the report, closes them."""

    def __init__(self, request):
        self.board, self.image, self.options = _defaults(request)
        self.machines: list = []
        self._traces: dict = {}          # id(machine) -> (file, path) of its raw trace
        self._trace_dir = request.config.getoption("irqsim_traces")

    def __call__(self, image=None, board=None, **options):
        from .machine import Machine
        image = self.image if image is None else image
        board = self.board if board is None else board
        opts = {**self.options, **options}
        if image == "demo":
            m = Machine.demo(board, **opts)
        else:
            m = Machine.load(image, board, **opts)
        self.machines.append(m)
        if self._trace_dir is not None:
            self._record(m)
        return m

    def _record(self, m):
        """Copies every trace event of `m` to a temporary file (an observer: the test's own
        m.events and sinks are untouched), for the trace files of a failure."""
        from .machine import EVENT_CODES
        from .trace import RECORD
        fd, path = tempfile.mkstemp(prefix="irqsim-test-", suffix=".trace")
        f = os.fdopen(fd, "wb")
        pack, codes = RECORD.pack, EVENT_CODES
        m.add_observer(lambda e: f.write(pack(e.tick, codes[e.kind], e.num, e.arg)))
        self._traces[id(m)] = (f, path)

    def write_traces(self, m, stem: str) -> dict:
        """The VCD and Perfetto trace of `m` so far, as `stem`.vcd and `stem`.perfetto.json in
        --irqsim-traces DIR; {} when the option is off."""
        if id(m) not in self._traces:
            return {}
        from . import export
        from .trace import read_events
        f, raw = self._traces[id(m)]
        f.flush()
        out = Path(self._trace_dir).absolute()
        out.mkdir(parents=True, exist_ok=True)
        b = m.board
        return export.export_all(lambda: read_events(raw, b.arch), b.arch, b.num_lines,
                                 b.clock_hz, vcd=str(out / f"{stem}.vcd"),
                                 perfetto=str(out / f"{stem}.perfetto.json"))

    def close(self):
        for m in self.machines:
            m.close()
        for f, path in self._traces.values():
            f.close()
            os.unlink(path)
        self._traces.clear()


@pytest.fixture
def machine(request):
    """A factory of machines: machine(image=None, board=None, **options) (see the module)."""
    factory = MachineFactory(request)
    request.node.stash[_MADE] = factory
    yield factory
    factory.close()


@pytest.fixture
def demo_machine(machine):
    """The bundled demo on the board of the marker or --irqsim-board (default mps2-an385)."""
    return machine("demo")


class StormRunner:
    """The `storm` fixture: runs storms and attaches their figures to the test's report."""

    def __init__(self, request, record_property):
        self.board, self.image, _ = _defaults(request)
        self._record = record_property
        self._origin = request.node.nodeid

    def __call__(self, scenario=None, *, baseline: bool = False, **fields):
        from .storm import (Scenario, default_scenario, load_scenario, run_storm,
                            scenario_from_dict)
        if scenario is None:
            sc = default_scenario(fields.pop("board", self.board))
        elif isinstance(scenario, Scenario):
            sc = scenario
        elif isinstance(scenario, dict):
            d = {"board": self.board, "image": self.image, **scenario}
            sc = scenario_from_dict(d, self._origin)
        elif isinstance(scenario, (str, os.PathLike)):
            sc = load_scenario(scenario)
        else:
            raise ConfigError(f"storm: a scenario is a Scenario, a dict, a .toml path or None "
                              f"(got {scenario!r})")
        bad = set(fields) - {f.name for f in dataclasses.fields(Scenario)}
        if bad:
            raise ConfigError(f"storm: {', '.join(sorted(bad))}: no field of a Scenario")
        sc = dataclasses.replace(sc, **fields)
        report = run_storm(sc, baseline=baseline)
        t = report.totals
        self._put("storm", {"board": report.board, "seed": report.seed, "ticks": report.ticks,
                            **{k: t[k] for k in ("requests", "handled", "unhandled", "coalesced",
                                                 "pending", "masked", "dropped")},
                            **_latency_figures(t["latency_entry"])})
        return report

    def record(self, m, name: str = "storm") -> dict:
        """Attaches the storm figures of machine `m` (its accounting so far, every line) as
        properties irqsim_<name>_<figure>; returns them."""
        from .storm.report import OUTCOMES, line_outcomes, percentiles
        fig = {"board": m.board.name, "ticks": m.ticks, "requests": 0,
               **{k: 0 for k in OUTCOMES}}
        hist, mx = None, None
        for a in m.line_accounting():
            if not a.requests:
                continue
            row = line_outcomes(m, a)
            fig["requests"] += a.requests
            for k in OUTCOMES:
                fig[k] += row[k]
            h = m.latency_histogram(a.line)
            hist = h if hist is None else [x + y for x, y in zip(hist, h)]
            if sum(h):
                mx = max(mx or 0, a.max_entry_latency)
        n = sum(hist) if hist else 0
        fig.update(_latency_figures({**percentiles(hist or [], n), "max": mx}))
        self._put(name, fig)
        return fig

    def _put(self, name, fig):
        for k, v in fig.items():
            self._record(f"{PROPERTY_PREFIX}{name}_{k}", v)


def _latency_figures(lat: dict) -> dict:
    return {f"{k}_entry_latency": lat[k] for k in ("p50", "p99", "max")}


@pytest.fixture
def storm(request, record_property):
    """storm(scenario=None, **fields) -> Report, and storm.record(machine) (see the module)."""
    return StormRunner(request, record_property)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    factory = item.stash.get(_MADE, None)
    if not rep.failed or rep.when not in ("setup", "call") or factory is None:
        return
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")
    for i, m in enumerate(factory.machines):
        text = m.failure_report().split("\n", 1)[1]     # the title says which machine
        name = stem if len(factory.machines) == 1 else f"{stem}-{i}"
        try:
            files = factory.write_traces(m, name)
        except (OSError, ConfigError) as e:
            files = {}
            text += f"\ntraces: not written: {e}"
        for kind, path in files.items():
            text += f"\n{kind} trace: {path}"
            item.user_properties.append((f"{PROPERTY_PREFIX}{kind}_trace", path))
        title = f"irqsim machine {i}: {m.image.name} on {m.board.name}"
        if hasattr(rep.longrepr, "addsection"):
            rep.longrepr.addsection(title, text)
        else:
            rep.sections.append((title, text))
