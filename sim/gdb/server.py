"""A GDB server for a Machine: the remote serial protocol (GDB manual, appendix E) on a TCP
socket, loopback by default. The machine waits halted before its first instruction until GDB
connects (as QEMU's `-s -S`); simulated time stands still while it is halted, and a debugged
run gives the same trace as an undebugged one (sim/native/debug.c says how).

Packets: qSupported, QStartNoAckMode, qXfer:features:read (target.py), ?, g, G, p, P, m, M,
X, Z0-Z4 / z0-z4, s, c, C, S, vCont? / vCont (c, C, s, S), the interrupt byte 0x03, D, k,
vKill, qRcmd (monitor.py), qAttached, qC, qfThreadInfo / qsThreadInfo, qThreadExtraInfo, H,
T, qSymbol, qOffsets; anything else gets the empty reply ("not supported"). Console output
reaches GDB as O packets while the firmware runs.
"""

from __future__ import annotations

import socket

from ..errors import ArgumentError, FirmwareError, Interrupted, SimError
from . import monitor
from .rsp import INTERRUPT, Connection, escape, unescape
from .target import Target

CHUNK_TICKS = 200_000     # a continue runs in chunks this long, looking for 0x03 in between
SIGINT, SIGTRAP, SIGSEGV = 2, 5, 11
MAX_READ = 0x1FF0         # bytes an m reply carries: hex within PacketSize (0x4000)
ENTRY_KINDS = ("entry", "preempt", "tail-chain")


def _hex(text: str) -> str:
    return text.encode("utf-8", "replace").hex()


class GdbServer:
    """Serves machine `m` to one GDB at a time on host:port (port 0: any free one, see
    .port). serve() waits for GDB and returns when it detaches, kills or goes away."""

    def __init__(self, m, port: int = 1234, host: str = "127.0.0.1"):
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ArgumentError(f"GDB port must be an integer 0..65535 (got {port!r})")
        self.m = m
        self.target = Target(m)
        self.breakpoints: dict[int, str] = {}     # address -> "swbreak" / "hwbreak"
        self.watchpoints: set[tuple[int, int, str]] = set()
        self.irq_breaks: set[int] = set()         # monitor break irq N
        self._temp_break = None                   # RISC-V: the handler of a break irq
        self._console_seen = len(m.console)
        self.exited = False
        try:
            self.sock = socket.create_server((host, port))
        except OSError as e:
            raise ArgumentError(f"cannot listen for GDB on {host}:{port}: {e.strerror}; "
                                f"choose another port") from None
        self.host, self.port = host, self.sock.getsockname()[1]
        self.conn: Connection | None = None

    def close(self):
        if self.conn:
            self.conn.close()
        self.sock.close()

    def serve(self) -> str:
        """Waits for GDB and serves it: "detach", "kill" or "closed" (the connection went)."""
        s, _ = self.sock.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = Connection(s)
        try:
            while True:
                pkt = self.conn.read_packet()
                if pkt is None:
                    return "closed"
                if pkt == INTERRUPT:
                    continue                # halted already: GDB waits for no stop reply
                reply = self.handle(pkt)
                if reply is not None:
                    self.conn.send(reply)
                if pkt[:1] == b"D":
                    return "detach"
                if pkt[:1] == b"k" or pkt.startswith(b"vKill"):
                    return "kill"
        finally:
            self.conn.close()
            self.sock.close()

    # ---- packets -----------------------------------------------------------------------

    def handle(self, pkt: bytes) -> str | None:
        """The reply to one packet (None: none is sent)."""
        text = pkt.decode("latin-1")
        c = text[:1]
        try:
            if text.startswith("qSupported"):
                return ("PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;swbreak+;"
                        "hwbreak+;vContSupported+")
            if text == "QStartNoAckMode":
                self.conn.send("OK")
                self.conn.ack = False
                return None
            if text.startswith("qXfer:features:read:"):
                return self._xfer(text)
            if c == "?":
                return self._stop_reply(SIGTRAP)
            if c == "g":
                return self.target.encode_all()
            if c == "G":
                self.target.write_all(bytes.fromhex(text[1:]))
                return "OK"
            if c == "p":
                n = int(text[1:], 16)
                return self.target.encode(n) if n < len(self.target.names) else "E45"
            if c == "P":
                num, val = text[1:].split("=")
                n = int(num, 16)
                if n >= len(self.target.names):
                    return "E45"
                self.target.write(n, int.from_bytes(bytes.fromhex(val), "little"))
                return "OK"
            if c == "m":
                addr, length = (int(x, 16) for x in text[1:].split(","))
                return self._read_mem(addr, length)
            if c in "MX":
                head, _, data = pkt[1:].partition(b":")
                addr, length = (int(x, 16) for x in head.decode().split(","))
                data = bytes.fromhex(data.decode()) if c == "M" else unescape(data)
                return self._write_mem(addr, data[:length])
            if c in "Zz":
                return self._point(text)
            if c in "sS":
                return self._resume(step=True)
            if c in "cC":
                return self._resume(step=False)
            if text == "vCont?":
                return "vCont;c;C;s;S"
            if text.startswith("vCont;"):
                actions = [a.split(":")[0][:1] for a in text[6:].split(";")]
                return self._resume(step=any(a in "sS" for a in actions))
            if c == "D":
                return "OK"
            if c == "k":
                return None
            if text.startswith("vKill"):
                return "OK"
            if text.startswith("qRcmd,"):
                return self._monitor(bytes.fromhex(text[6:]).decode("utf-8", "replace"))
            if text == "qAttached":
                return "1"
            if text == "qC":
                return "QC1"
            if text == "qfThreadInfo":
                return "m1"
            if text == "qsThreadInfo":
                return "l"
            if text.startswith("qThreadExtraInfo"):
                return _hex(f"{self.m.board.name} {self.m.arch} core")
            if c in "HT":
                return "OK"
            if text.startswith("qSymbol"):
                return "OK"
            if text == "qOffsets":
                return "Text=0;Data=0;Bss=0"
            return ""
        except (ValueError, IndexError):
            return "E01"          # a malformed packet
        except SimError:
            return "E0e"          # the machine refused (a register it cannot write, ...)

    def _xfer(self, text: str) -> str:
        annex, _, span = text[len("qXfer:features:read:"):].partition(":")
        if annex != "target.xml":
            return "E00"
        off, length = (int(x, 16) for x in span.split(","))
        data = self.target.xml.encode()[off:off + length]
        return ("m" if off + length < len(self.target.xml.encode()) else "l") + \
            escape(data).decode("latin-1")

    def _in_memory(self, addr: int, length: int) -> bool:
        """Board memory only: a device register read has side effects (a PLIC claim). (The
        target adds the few registers it reads without any: target.system_word.)"""
        return any(r.base <= addr and addr + length <= r.base + r.size
                   for r in self.m.board.memory)

    def _read_mem(self, addr: int, length: int) -> str:
        length = min(length, MAX_READ)
        if length == 0:
            return ""
        if not self._in_memory(addr, length):
            word = self.target.system_word(addr, length)
            return "E14" if word is None else word.hex()
        try:
            return self.m.mem_read(addr, length).hex()
        except SimError:
            return "E14"

    def _write_mem(self, addr: int, data: bytes) -> str:
        if data and not self._in_memory(addr, len(data)):
            return "E14"
        try:
            self.m.mem_write(addr, data)
        except SimError:
            return "E14"
        return "OK"

    def _point(self, text: str) -> str:
        on = text[0] == "Z"
        kind, addr, length = text[1:].split(",")[:3]
        addr, length = int(addr, 16), int(length.split(";")[0], 16)
        try:
            if kind in "01":
                self.m.set_breakpoint(addr, on)
                if on:
                    self.breakpoints[addr & ~1] = "swbreak" if kind == "0" else "hwbreak"
                else:
                    self.breakpoints.pop(addr & ~1, None)
            elif kind in "234":
                wkind = {"2": "write", "3": "read", "4": "access"}[kind]
                self.m.set_watchpoint(addr, length, wkind, on)
                (self.watchpoints.add if on else self.watchpoints.discard)(
                    (addr, length, wkind))
            else:
                return ""
        except SimError:
            return "E22"
        return "OK"

    def _monitor(self, line: str) -> str:
        try:
            out = monitor.run(self, line)
        except monitor.MonitorError as e:
            out = f"error: {e}\n"
        self.conn.send("O" + _hex(out))
        return "OK"

    # ---- running -----------------------------------------------------------------------

    def _stream_console(self):
        text = self.m.console
        if len(text) > self._console_seen:
            self.conn.send("O" + _hex(text[self._console_seen:]))
            self._console_seen = len(text)

    def _stop_reply(self, sig: int, extra: str = "") -> str:
        return f"T{sig:02x}{extra}thread:1;"

    def _note(self, text: str):
        self.conn.send("O" + _hex(f"irqsim: {text}\n"))

    def _resume(self, step: bool) -> str:
        m = self.m
        if self.exited:
            return f"W{(m.exit_code or 0) & 0xFF:02x}"
        try:
            if step:
                st = m.step()
            else:
                st = self._continue()
                if isinstance(st, str):
                    return st
        except Interrupted:
            return self._stop_reply(SIGINT)
        except FirmwareError as e:
            self._stream_console()
            self._note(str(e))
            return self._stop_reply(SIGSEGV)
        self._stream_console()
        if st.reason == "exit":
            self.exited = True
            return f"W{(m.exit_code or 0) & 0xFF:02x}"
        if st.reason == "halt":
            return self._stop_reply(SIGINT)
        if st.reason == "break":
            return self._stop_reply(SIGTRAP, f"{self.breakpoints.get(m.pc & ~1, 'swbreak')}:;")
        if st.reason == "watch":
            return self._stop_reply(SIGTRAP, self._watch_field())
        if st.reason in ("step", "event"):
            return self._stop_reply(SIGTRAP)
        self._note(st.detail)              # idle, stuck, reset: the machine cannot go on
        return self._stop_reply(SIGTRAP)

    def _watch_field(self) -> str:
        addr, kind = self.m.watch_hit
        covering = {k for a, n, k in self.watchpoints if a <= addr < a + n}
        if kind in covering:
            name = "watch" if kind == "write" else "rwatch"
        else:
            name = "awatch"
        return f"{name}:{addr:x};"

    def _stop_kinds(self):
        if not self.irq_breaks:
            return ()
        return ENTRY_KINDS if self.m.arch == "armv7m" else ("dispatch",)

    def _continue(self):
        """Runs until something stops the machine: a Stop, or a stop reply already made."""
        m = self.m
        while True:
            st = m.run(ticks=CHUNK_TICKS, stop_on=self._stop_kinds())
            if st.reason == "ticks":
                self._stream_console()
                if self.conn.interrupted():
                    return self._stop_reply(SIGINT)
                continue
            if st.reason == "event":
                if self._irq_break_reached():
                    return st
                continue
            if st.reason == "break" and self._temp_break is not None and \
                    m.pc & ~1 == self._temp_break:
                if self._temp_break not in self.breakpoints:
                    m.set_breakpoint(self._temp_break, False)
                self._temp_break = None
                return self._stop_reply(SIGTRAP)
            return st

    def _irq_break_reached(self) -> bool:
        """A stop_on record: whether it is the start of a `break irq` line's handler (on
        RISC-V: the dispatch of one, whose handler gets a temporary breakpoint)."""
        m = self.m
        recent = m.recent_records
        if not recent:
            return False
        ev = recent[-1]
        if m.arch == "armv7m":
            return ev.num - 16 in self.irq_breaks
        if ev.num not in self.irq_breaks:
            return False
        table, idx = m.reg("a0"), m.reg("a1")
        try:
            length, slots = (int.from_bytes(m.mem_read(table + 4 * i, 4), "little")
                             for i in (0, 1))
            handler = int.from_bytes(m.mem_read(slots + 4 * idx, 4), "little") if \
                idx < length else 0
        except SimError:
            handler = 0
        if handler:
            self._temp_break = handler & ~1
            m.set_breakpoint(self._temp_break, True)
        return False


def serve(m, port: int = 1234, host: str = "127.0.0.1", on_listen=None) -> str:
    """Serves machine `m` to one GDB on host:port and returns how the session ended
    ("detach", "kill", "closed"). `on_listen(server)` is called once the socket listens."""
    server = GdbServer(m, port, host)
    if on_listen is not None:
        on_listen(server)
    return server.serve()
