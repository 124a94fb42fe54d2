"""The core keeps privilege, mstatus and mie between the instructions that can change them
(rv32_block_end, trap entry) instead of reading them at every arbitration. Whenever a run stops,
wherever it stops, what it keeps must be what the hart holds."""

from rv_helpers import CLINT, MIP_MSIP, MIP_MTIP, traps

from sim import storm
from sim.storm import Scenario, Source


def check(m) -> int:
    r = m.hart.cache_check()
    assert r != 0, f"cached hart state differs from the hart at pc {m.pc:#x}, tick {m.ticks}"
    return r


def test_cache_matches_the_hart_wherever_a_storm_stops():
    sc = Scenario(board="virt", ticks=1, seed=7, demo={"handler_work": {4: 40}},
                  sources=[Source("periodic", [1], period=90),
                           Source("poisson", [2, 3, 4], rate_hz=400_000),
                           Source("poisson", [5], rate_hz=50_000, trigger="level", hold=300)])
    m = storm.prepare_machine(sc, trace=False)
    known = 0
    for i in range(400):
        m.run(ticks=97 + (i * 37) % 211)      # stop at many different instructions
        known += check(m) == 2
    assert known > 100                      # the check was not vacuous


def test_cache_matches_after_nesting_u_mode_and_sret(rv):
    rv.call("reset_log")
    rv.call("set_mie", MIP_MSIP | MIP_MTIP)
    rv.call("set_mstatus_mie", 1)
    rv.symbols["nest_mode"].write("<I", 1)
    rv.call("marked_store", CLINT, 1)        # MSI, preempted by MTI from the handler
    check(rv)
    rv.symbols["nest_mode"].write("<I", 0)
    rv.call("set_mie", MIP_MSIP)
    rv.call("set_mstatus_mie", 0)
    rv.call("run_user")
    check(rv)
    rv.call("run_user_sret")
    check(rv)
    assert len(traps(rv)) >= 4
