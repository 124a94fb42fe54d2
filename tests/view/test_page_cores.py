"""The page of a Cortex-M4F storm (mps2-an386): the frame view after an entry is the frame the
core stacked, the 26-word extended one when the FP context was active, named word by word."""

import re

from view_helpers import FP_WORDS, extended_entry, page_data


def test_extended_frame_after_an_fp_entry_is_26_named_words(fp_page):
    entry, st = extended_entry(page_data(fp_page))
    assert st["regs"]["lr"] & 0x10 == 0                  # EXC_RETURN: an extended frame
    assert len(st["stack"]) == 26 and st["frame_names"][8:] == FP_WORDS
    sp = st["regs"]["sp"]
    for k, word in enumerate(st["stack"]):              # each word, as the narration lists it
        assert re.search(rf"{sp + 4 * k:#010x}  {st['frame_names'][k]} +{word:#010x}",
                         entry["text"])
    assert st["fp_lazy"] == ("lazy stacking" in entry["text"])


def test_basic_frame_states_keep_the_8_words(fp_page):
    d = page_data(fp_page)
    basic = [s for s in d["states"] if "right after the" in s["where"]
             and s["regs"]["lr"] & 0x10 and "entry" in s["where"]]
    for st in basic:
        assert len(st["stack"]) <= 8 and "frame_names" not in st


from view_helpers import fp_page  # noqa: E402, F401  (fixture)
