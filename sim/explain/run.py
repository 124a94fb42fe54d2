"""The two runs behind `irqsim explain` (see sim/explain/__init__.py).

1. record: the machine runs in chunks until every followed request has been served (its
   handler returned) or the run ends; the trace says which records belong to which request
   (the narrator's `follow`).
2. walk: a fresh, identical machine runs to each moment the narrator asks for, in trace order,
   and the narrator reads the state there. A moment is either a block boundary at a tick
   (`Machine.run(ticks=...)` stops at the first boundary at or after it, after the requests due
   there are delivered and before the controller arbitrates) or right after a given record
   (`Machine.run(stop_on=(kind,))`). At the end the walk's trace must equal the record's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import storm
from ..boards import get_board
from ..errors import ConfigError
from . import DEFAULT_REQUEST, MAX_FOLLOWED, Step
from .common import read_table_call, table_calls

CHUNK = 4096                 # ticks per piece of the record run
AFTER_LAST = 500_000         # ticks the record run goes on after the last --irq request


@dataclass
class Followed:
    """One request and the indices (in the recorded trace) of the records it caused."""
    line: int
    request: int
    explicit: bool = False        # given with --irq (else it came from a scenario source)
    pend: int | None = None       # its pend, or the coalesce that merged it
    coalesced: bool = False
    taken: int | None = None      # the entry / preempt / tail-chain of its handler
    claim: int | None = None      # RISC-V: the PLIC claim that took it
    dispatch: int | None = None
    complete: int | None = None   # RISC-V: the PLIC complete
    end: int | None = None        # the return (or tail-chain away) of its handler

    @property
    def done(self) -> bool:
        return self.coalesced or self.end is not None


@dataclass
class Moment:
    """Where the walk stops: at the boundary of `tick` (before the record at `index`), or
    right after the record at `index`. The narrator's snapshot lands in `state`."""
    index: float              # position in the trace: sorts the moments
    name: str                 # (request number, what) key of the snapshot
    tick: int | None = None
    record: int | None = None
    state: dict | None = None
    # a boundary that may not exist (one of two candidates): the walk goes there only if a
    # fork of the machine lands on it exactly, so it never runs past the records after it
    optional: bool = False


def lands_on(m, mo: Moment) -> bool:
    """Whether machine m, run to tick moment `mo`, would stop exactly there (a fork tries)."""
    if not mo.optional or m.ticks >= mo.tick:
        return True
    with m.fork() as probe:
        probe.run(ticks=mo.tick - m.ticks)
        return probe.ticks == mo.tick


def request_moments(k: int, f: Followed, events, pre_tick: int | None) -> list[Moment]:
    """The moments of request number k: its pend's boundary; the boundary where its handler is
    taken (at `pre_tick`; None: not reachable, as a tail-chain's, or the pend's own); right
    after its entry, its dispatch and its end records."""
    out = [Moment(f.pend + 0.1, (k, "pend"), tick=events[f.pend].tick)] \
        if f.pend is not None else []
    if f.taken is not None and pre_tick is not None:
        out.append(Moment(f.taken - 0.5, (k, "pre"), tick=pre_tick))
    for what in ("taken", "dispatch", "end"):
        if getattr(f, what) is not None:
            out.append(Moment(getattr(f, what), (k, "entry" if what == "taken" else what),
                              record=getattr(f, what)))
    return out


def _scenario(board, image, requests, scenario):
    if scenario:
        sc = storm.load_scenario(scenario)
    else:
        sc = storm.Scenario(origin="explain")
        if not requests:
            requests = [DEFAULT_REQUEST]
    if board:
        sc.board = board
    if image:
        sc.image = str(image)
    b = get_board(sc.board)
    lo, n = b.adapter.first_line, b.num_lines
    if len(requests) > MAX_FOLLOWED:
        raise ConfigError(f"explain follows at most {MAX_FOLLOWED} requests (got "
                          f"{len(requests)} --irq)")
    for line, tick in requests:
        if not lo <= line < n:
            raise ConfigError(f"--irq {line}@{tick}: line {line} is out of range for board "
                              f"{b.name}: lines are {lo}..{n - 1}")
        sc.sources.append(storm.Source("replay", [line], ticks=[tick]))
    return sc, b, sorted((t, ln) for ln, t in requests)


def explain_run(board, image, requests, scenario, setup=None) -> list[Step]:
    from . import armv7m, rv32
    sc, b, explicit = _scenario(board, image, requests, scenario)
    narrator = {"armv7m": armv7m.Narrator, "rv32": rv32.Narrator}[b.arch](b)

    def machine():
        m = storm.prepare_machine(sc, trace=True)
        if setup is not None:
            setup(m)
        return m

    m1 = machine()
    limit = (explicit[-1][0] + AFTER_LAST) if explicit else sc.ticks
    followed = []
    while True:
        stop = m1.run(ticks=min(CHUNK, max(1, limit - m1.ticks)))
        followed = _follow_all(narrator, m1.events, explicit)
        if (followed and all(f.done for f in followed)
                and len([f for f in followed if f.explicit]) == len(explicit)):
            break
        if stop.reason != "ticks" or m1.ticks >= limit:
            break
    if not followed:
        raise ConfigError(f"{sc.origin}: no interrupt request reached the controller by tick "
                          f"{m1.ticks:,}; give one with --irq LINE@TICK")
    events = m1.events
    end_tick = m1.ticks

    m2 = machine()
    moments = sorted([mo for f_no, f in enumerate(followed)
                      for mo in narrator.moments(f_no, f, events)]
                     + [Moment(i, ("table", i), record=i) for i in table_calls(followed, events)],
                     key=lambda mo: mo.index)

    def snapshot(mo, m):
        return read_table_call(m) if mo.name[0] == "table" else narrator.snapshot(mo.name[1], m)
    walk(moments, m2, events, snapshot)
    if m2.ticks < end_tick:
        m2.run(ticks=end_tick - m2.ticks)
    assert m2.events == events, "explain: the walk's trace differs from the recorded run"
    states = {mo.name: mo.state for mo in moments}
    # what the mistake detectors found in the run (docs/mistakes.md), after the narration
    return narrator.steps(followed, events, states, m2) + [
        Step("mistake", x.tick, f"A mistake: {x.kind}", x.text, x.to_dict())
        for x in m2.mistakes()]


def walk(moments, m, events, snapshot, reach=None):
    """Runs machine m through `moments` (sorted) and fills each one's state: snapshot(mo, m)
    where it stopped. `reach(m, mo, events, snapshot)` runs to one moment (default _reach,
    which counts records in m.events)."""
    reach = reach or _reach
    seen: dict = {}          # a record two requests share (one trap, two claims): one state
    at_record = None         # the record the walk stopped right after, while it stays there
    for mo in moments:
        key = (mo.record, mo.name[1])
        if mo.record is not None and key in seen:
            mo.state = seen[key]
        elif mo.record is not None and mo.record == at_record:
            # stopped right after it already (a tail-chain: one's end, another's entry)
            mo.state = seen[key] = snapshot(mo, m)
        else:
            reach(m, mo, events, snapshot)
            if mo.record is not None:
                seen[key] = mo.state
            at_record = mo.record if mo.record is not None else (
                at_record if mo.state is not None and m.ticks == mo.tick else None)


def _follow_all(narrator, events, explicit) -> list[Followed]:
    """The requests to follow: those given with --irq (their first request record at or after
    their tick), else the first request and every later one that arrives before all followed
    so far are served."""
    out: list[Followed] = []
    want = list(explicit)
    for i, e in enumerate(events):
        if e.kind != "request" or len(out) >= MAX_FOLLOWED:
            continue
        mine = next((w for w in want if w[1] == e.num and w[0] == e.tick), None)
        if mine:
            want.remove(mine)
        elif explicit or (out and all(_served_before(f, i) for f in out)):
            continue
        f = Followed(e.num, i, explicit=mine is not None)
        narrator.follow(f, events)
        out.append(f)
    return out


def _served_before(f: Followed, i: int) -> bool:
    """Whether Followed f was over (its handler returned, or it coalesced) before record i."""
    last = f.pend if f.coalesced else f.end
    return last is not None and last < i


def reach_tick(m, mo: Moment, snapshot, after_run=None):
    """A moment at a tick, not a record: runs m there (when a block boundary lands on it) and
    takes the snapshot; `after_run()` runs after the run (the viewer checks its trace)."""
    if not lands_on(m, mo):
        mo.state = None
        return
    if m.ticks < mo.tick:
        m.run(ticks=mo.tick - m.ticks)
        if after_run is not None:
            after_run()
    mo.state = snapshot(mo, m) if m.ticks == mo.tick else None


def _reach(m, mo: Moment, events, snapshot):
    """Runs machine m to moment `mo` and takes the snapshot there."""
    if mo.record is None:
        return reach_tick(m, mo, snapshot)
    want = events[mo.record]
    assert len(m.events) <= mo.record, f"explain: the walk passed {want} before stopping there"
    while len(m.events) <= mo.record:
        budget = max(0, want.tick - m.ticks) + CHUNK
        stop = m.run(ticks=budget, stop_on=(want.kind,))
        if stop.reason not in ("event", "ticks"):
            break
    assert m.events[mo.record] == want, f"explain: the walk missed {want}"
    mo.state = snapshot(mo, m)
