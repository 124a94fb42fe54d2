"""`irqsim explain` through click's CliRunner: --json shape, --no-pause, pausing on a terminal,
exit status, one-line errors; and the roles given to the table's instructions."""

import json

import pytest
from click.testing import CliRunner

import cli
from sim.explain.code import with_roles

KINDS = {"request", "pending", "arbitration", "entry", "dispatch", "code", "return", "latency"}


def _run(*args, input=None):
    return CliRunner().invoke(cli.main, ["explain", *args], input=input)


@pytest.mark.parametrize("board,extra", [("mps2-an385", set()), ("virt", {"claim", "complete"})])
def test_json_is_a_list_of_steps_with_kind_tick_title_text_facts(board, extra):
    r = _run("--board", board, "--json")
    assert r.exit_code == 0, r.output
    steps = json.loads(r.output)["steps"]
    assert all(set(s) == {"kind", "tick", "title", "text", "facts"} for s in steps)
    assert all(isinstance(s["tick"], int) and isinstance(s["facts"], dict) for s in steps)
    assert KINDS | extra <= {s["kind"] for s in steps}
    req = next(s for s in steps if s["kind"] == "request")
    assert req["facts"]["line"] == 5 and req["tick"] == 10_000


def test_no_pause_prints_every_step_and_exits_0(monkeypatch):
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    r = _run("--no-pause", "--irq", "5@12000")
    assert r.exit_code == 0
    assert r.output.startswith("[1] Request on line 5 (IRQ5, exception 21)  (tick 12,000)")
    assert "press Enter" not in r.output
    assert "EXC_RETURN 0xfffffff9" in r.output


def test_on_a_terminal_it_pauses_after_each_step_but_the_last(monkeypatch):
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    r = _run(input="\n" * 50)
    assert r.exit_code == 0
    steps = r.output.count("\n[") + 1
    assert r.output.count("press Enter") == steps - 1 > 5


@pytest.mark.parametrize("args,message", [
    (["--irq", "5@soon"], "irqsim: error: --irq '5@soon': expected LINE@TICK, e.g. 5@10000"),
    (["--irq", "5"], "irqsim: error: --irq '5': expected LINE@TICK, e.g. 5@10000"),
    (["--irq", "40@100"], ("irqsim: error: --irq 40@100: line 40 is out of range for board "
                           "mps2-an385: lines are 0..31")),
    (["--board", "nope"], "irqsim: error: unknown board 'nope'"),
])
def test_bad_input_is_one_line_and_exit_1(args, message):
    r = _run(*args)
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)


def test_armv6m_critical_section_instructions_are_named():
    raw = [(0, "mrs", "r3, primask"), (4, "cpsid", "i"), (6, "ldr", "r2, [r0]"),
           (8, "msr", "primask, r3")]
    roles = [i.role for i in with_roles("armv7m", raw)]
    assert roles[0].startswith("ARMv6-M critical section: saves PRIMASK")
    assert "masks interrupts" in roles[1] and "restores PRIMASK" in roles[3]


def test_exclusive_and_amo_instructions_are_named():
    arm = with_roles("armv7m", [(0, "ldrex", "r1, [r0]"), (4, "dmb", "sy"),
                                (8, "strex", "r1, r2, [r0]")])
    assert "arms the local exclusive monitor" in arm[0].role
    assert arm[1].role.startswith("barrier before the store: the release")
    assert arm[2].role.startswith("store-exclusive") and "r1 = 0 stored" in arm[2].role
    # the swap's release barrier comes before the address arithmetic and the loop (unregister)
    swap = with_roles("armv7m", [(0, "dmb", "sy"), (4, "add.w", "r1, r2, r1, lsl #2"),
                                 (8, "ldrex", "r2, [r1]"), (12, "strex", "r3, r0, [r1]"),
                                 (16, "cmp", "r3, #0"), (18, "bne", "#8"), (20, "dmb", "sy")])
    assert swap[0].role.startswith("barrier before the store: the release")
    assert swap[6].role == "barrier after the store: the acquire half of acq_rel"
    rv = with_roles("rv32", [(0, "amoswap.w.aqrl", "a0, zero, (a0)")])
    assert rv[0].role.endswith(".aqrl: acquire and release")


def test_armv6m_table_code_is_read_as_a_primask_critical_section():
    """handler_table.c built for Cortex-M0 (no LDREX/STREX): the compiled register function,
    disassembled from the object file, is described as the critical section it is."""
    from elftools.elf.elffile import ELFFile

    from sim import toolchain
    from sim.explain.code import disassemble

    ht = toolchain.handlertable_dir()
    obj = toolchain.build_image("cortex-m0", "explain-table-v6m", [ht / "handler_table.c"],
                                include_dirs=[ht], defines=["HANDLER_TABLE_PRIMASK_ATOMICS"],
                                link=False)
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("handler_table_register")[0]
        start = sym["st_value"] & ~1
        code = elf.get_section(sym["st_shndx"]).data()[start:start + sym["st_size"]]
    insns = with_roles("armv7m", disassemble("armv7m", code, start))
    roles = {i.text.split()[0]: i.role for i in insns if i.role}
    assert not any(i.text.startswith(("ldrex", "strex", "dmb")) for i in insns)
    assert roles["cpsid"].startswith("ARMv6-M critical section: masks interrupts")
    assert roles["msr"].startswith("ARMv6-M critical section: restores PRIMASK")
    assert roles["str"] == "stores the slot while interrupts are masked"
    assert [i.role for i in insns if i.text.startswith("ldr")][-1] == "loads the slot (slots[idx])"
