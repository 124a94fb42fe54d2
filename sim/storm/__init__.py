"""IRQ storms: seeded sources, outcome accounting, latency, nesting, stack and progress reports.

A scenario names a board, an image (default: the bundled demo), a run length in ticks, a seed and
a list of sources. The sources run in the native core (sim/native/storm/): requests are made
lazily at block boundaries, so a storm of millions of requests needs no memory per request, and
every request is followed to exactly one outcome there.

    from sim import storm
    report = storm.run_storm(storm.default_scenario("virt"))
    print(report.format())

The package: scenario.py (the model, the default storm, scenario files), run.py (the machine,
the run, the baseline, the exports), stack.py (the stack's high-water mark), report.py (the
report). What the storm sets and reads in the demo firmware is in sim/demo.py.

Outcomes (the report's columns; they always add up to the requests, or the run fails):
  handled    a handler ran from the table (or, for firmware without the table, returned)
  unhandled  the table slot was empty when the handler dispatched
  coalesced  the request arrived while the same interrupt was already pending: merged
  pending    still pending at the end, and it would be taken next
  masked     still pending at the end, held off by a disabled line or the execution priority
  dropped    gone without a handler run, by reason: cleared (the firmware cleared the pending
             state), lowered (a level request withdrawn where the controller forgets it),
             in-handler (the run ended inside its handler before the table dispatch)
"""

from .report import OUTCOMES, Report, build_report, percentiles
from .run import derive_seed, measure_baseline, prepare_machine, run_storm, run_storm_with_exports
from .scenario import (DEMO_IMAGE, EXPORT_KEYS, KINDS, Scenario, Source, check_against_board,
                       default_scenario, load_scenario, scenario_from_dict,
                       scenario_to_dict)
from .stack import initial_sp, paint_stack, stack_high_water

__all__ = ["DEMO_IMAGE", "EXPORT_KEYS", "KINDS", "OUTCOMES", "Report", "Scenario", "Source",
           "build_report", "check_against_board", "default_scenario", "initial_sp",
           "load_scenario", "measure_baseline", "paint_stack", "percentiles", "prepare_machine",
           "run_storm", "run_storm_with_exports", "scenario_from_dict", "scenario_to_dict",
           "stack_high_water", "derive_seed"]
