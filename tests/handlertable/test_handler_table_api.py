"""HandlerTable semantics on one thread: the crate's README example and the edge rules."""

import threading

import pytest

import handlertable
from handlertable import HandlerTable, ffi, lib


@pytest.fixture(params=["python", "c"])
def kinds(request, recorder, c_handlers):
    """(two handlers, a function giving how often a handler has run), per handler kind."""
    if request.param == "python":
        handlers = [recorder.handler("event0"), recorder.handler("event1")]
        names = {handlers[0]: "event0", handlers[1]: "event1"}

        def calls(h):
            return recorder.calls.count(names[h])

    else:
        handlers = c_handlers[:2]

        def calls(h):
            return lib.ht_test_count(handlers.index(h))

    return handlers, calls


def test_crate_readme_example(table, kinds):
    (h0, h1), calls = kinds
    assert table.register(0, h0)
    assert table.register(1, h1)
    assert table.handle(0)
    assert calls(h0) == 1
    assert not table.handle(2)  # never registered
    assert table.unregister(2) is None
    func = table.unregister(1)
    assert func is h1  # retrieve the very handler that was registered
    func()
    assert calls(h1) == 1
    assert not table.handle(1)  # unregistered
    assert calls(h1) == 1


def test_handle_calls_the_handler_exactly_once_per_call(table, kinds):
    (h0, _), calls = kinds
    table.register(3, h0)
    for n in range(1, 6):
        assert table.handle(3)
        assert calls(h0) == n


def test_register_on_occupied_slot_fails_and_keeps_first_handler(table, kinds):
    (h0, h1), calls = kinds
    assert table.register(5, h0)
    assert not table.register(5, h1)
    assert not table.register(5, h0)  # not even the same handler again
    assert table.handle(5)
    assert (calls(h0), calls(h1)) == (1, 0)
    assert table.unregister(5) is h0
    assert table.unregister(5) is None


def test_slot_is_reusable_after_unregister(table, kinds):
    (h0, h1), calls = kinds
    assert table.register(0, h0)
    assert table.unregister(0) is h0
    assert table.register(0, h1)
    assert table.handle(0)
    assert (calls(h0), calls(h1)) == (0, 1)
    assert table.unregister(0) is h1


def test_same_handler_in_two_slots_is_returned_from_each(table, kinds):
    (h0, _), calls = kinds
    assert table.register(1, h0)
    assert table.register(6, h0)
    assert table.handle(1) and table.handle(6)
    assert calls(h0) == 2
    assert table.unregister(6) is h0
    assert table.handle(1)
    assert table.unregister(1) is h0


@pytest.mark.parametrize("idx", [8, 9, 1000, 2**64, 2**70, -1, -8, -(2**70)])
def test_out_of_range_index_gives_false_or_none(table, kinds, idx):
    (h0, _), calls = kinds
    assert table.register(0, h0)
    assert not table.register(idx, h0)
    assert not table.handle(idx)
    assert table.unregister(idx) is None
    assert calls(h0) == 0
    assert table.unregister(0) is h0  # the table is unchanged


def test_empty_table_has_no_valid_index(c_handlers):
    t = HandlerTable(0)
    assert len(t) == 0
    assert not t.register(0, c_handlers[0])
    assert not t.handle(0)
    assert t.unregister(0) is None


def test_len_is_the_slot_count():
    t = HandlerTable(13)
    assert len(t) == 13
    assert lib.handler_table_len(t.c_table) == 13


def test_negative_size_raises_value_error():
    with pytest.raises(ValueError, match="n >= 0"):
        HandlerTable(-1)


def test_non_integer_index_raises_type_error(table, recorder):
    with pytest.raises(TypeError):
        table.register(1.0, recorder.handler("x"))
    with pytest.raises(TypeError):
        table.handle("0")


def test_register_null_function_pointer_fails(table):
    assert not table.register(0, ffi.cast("handler_t", 0))
    assert not table.handle(0)
    assert not lib.handler_table_register(table.c_table, 0, ffi.NULL)


@pytest.mark.parametrize(
    "bad",
    [42, "handler", None, object()],
    ids=["int", "str", "None", "object"],
)
def test_register_non_callable_raises_type_error(table, bad):
    with pytest.raises(TypeError, match="Python callable or a C function pointer"):
        table.register(0, bad)
    assert table.unregister(0) is None


@pytest.mark.parametrize("ctype", ["int *", "int(*)(int)", "void(*)(int)"])
def test_register_cdata_of_other_type_raises_type_error(table, ctype):
    bad = ffi.cast(ctype, ffi.addressof(lib, "ht_test_handler0")) if "(" in ctype else ffi.new(ctype)
    with pytest.raises(TypeError, match=r"void\(\*\)\(void\)"):
        table.register(0, bad)
    assert table.unregister(0) is None


def test_handler_pointer_from_another_ffi_is_accepted(table, c_handlers):
    import cffi

    other = cffi.FFI().cast("void(*)(void)", c_handlers[2])
    assert table.register(0, other)
    assert table.handle(0)
    assert lib.ht_test_count(2) == 1
    assert table.unregister(0) is other


def test_python_handler_exception_propagates_out_of_handle(table):
    def broken():
        raise ValueError("handler failed")

    assert table.register(2, broken)
    with pytest.raises(ValueError, match="handler failed"):
        table.handle(2)
    with pytest.raises(ValueError, match="handler failed"):
        table.handle(2)  # still installed
    assert table.unregister(2) is broken
    assert not table.handle(2)


def test_handler_can_unregister_itself_while_running(table):
    # The ffi.callback that is executing must stay alive after unregister drops it.
    seen = []

    def once():
        seen.append(table.unregister(4))

    assert table.register(4, once)
    assert table.handle(4)
    assert seen == [once]
    assert not table.handle(4)


def test_handler_may_call_handle_on_the_same_table(table, c_handlers):
    table.register(0, c_handlers[0])

    def outer():
        assert table.handle(0)

    table.register(1, outer)
    assert table.handle(1)
    assert lib.ht_test_count(0) == 1


def test_table_handle_and_c_handle_see_the_same_slots(table, c_handlers):
    assert table.register(7, c_handlers[3])
    assert lib.handler_table_handle(table.c_table, 7)
    assert lib.ht_test_count(3) == 1
    assert not lib.handler_table_handle(table.c_table, 8)  # C bounds check
    assert lib.handler_table_unregister(table.c_table, 8) == ffi.NULL


def test_handler_installed_through_c_is_returned_as_function_pointer(table, c_handlers):
    assert lib.handler_table_register(table.c_table, 0, c_handlers[1])
    got = table.unregister(0)
    assert ffi.typeof(got) is ffi.typeof("handler_t")
    assert got == c_handlers[1]


def test_gil_is_released_while_a_c_handler_runs(table):
    # The gate handler blocks in C until this thread opens the gate, which it can only
    # do if handle() released the GIL. If it did not, the gate handler gives up after a
    # bounded spin and records a timeout instead of hanging the test.
    lib.ht_test_gate_reset()
    assert table.register(0, ffi.addressof(lib, "ht_test_gate_handler"))
    result = []
    worker = threading.Thread(target=lambda: result.append(table.handle(0)))
    worker.start()
    while worker.is_alive() and not lib.ht_test_gate_entered():
        pass
    lib.ht_test_gate_open()
    worker.join()
    assert result == [True]
    assert not lib.ht_test_gate_timed_out()


def test_python_handler_runs_on_the_thread_calling_handle(table):
    ran_on = []
    table.register(0, lambda: ran_on.append(threading.get_ident()))
    worker = threading.Thread(target=table.handle, args=(0,))
    worker.start()
    worker.join()
    assert ran_on == [worker.ident]


def test_source_dir_holds_the_c_sources():
    src = handlertable.source_dir()
    assert (src / "handler_table.h").is_file()
    assert (src / "handler_table.c").is_file()
    assert "HANDLERTABLE_HANDLER_TABLE_H_" in (src / "handler_table.h").read_text()
