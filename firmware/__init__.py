"""Firmware sources shipped with irqsim: startup code, linker scripts, the demo per architecture.

`sim.firmware.demo_image(board)` builds (once) and returns the bundled demo for a board.
"""
