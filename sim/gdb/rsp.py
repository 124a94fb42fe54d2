"""The GDB remote serial protocol's framing (GDB manual, appendix E "Remote Protocol"):
packets `$data#cs` with a modulo-256 checksum, `+`/`-` acknowledgements until
QStartNoAckMode, `}` escapes in binary data, and the interrupt byte 0x03 that GDB sends
outside any packet while the target runs (E.8 "Interrupts")."""

from __future__ import annotations

import select
import socket

INTERRUPT = b"\x03"


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(data: bytes) -> bytes:
    return b"$" + data + b"#" + b"%02x" % checksum(data)


def escape(data: bytes) -> bytes:
    """Binary data as a packet carries it (E.1: '#', '$', '}' and '*' escaped)."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out, it = bytearray(), iter(data)
    for b in it:
        out.append(next(it, 0) ^ 0x20 if b == 0x7D else b)
    return bytes(out)


class Connection:
    """One GDB connection: whole packets in, packets out."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.ack = True          # until QStartNoAckMode
        self.closed = False

    def _fill(self, timeout=None) -> bool:
        """Reads what has arrived (waiting up to `timeout` s; None: until something does);
        False when the peer closed the connection."""
        if timeout is not None:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return True
        try:
            data = self.sock.recv(65536)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def read_packet(self) -> bytes | None:
        """The next packet's data, INTERRUPT for a lone 0x03, None once the peer has gone."""
        while True:
            while self.buf and self.buf[0] in b"+-":
                del self.buf[0]  # acknowledgements of what we sent: we never resend
            if self.buf[:1] == INTERRUPT:
                del self.buf[0]
                return INTERRUPT
            start = self.buf.find(b"$")
            before = self.buf if start < 0 else self.buf[:start]
            if before:
                at = before.find(INTERRUPT)
                del self.buf[:len(before) if at < 0 else at]   # noise between packets
                if at >= 0 or start > 0:
                    continue
            end = self.buf.find(b"#", max(start, 0))
            if start == 0 and end > 0 and len(self.buf) >= end + 3:
                data, cs = bytes(self.buf[1:end]), bytes(self.buf[end + 1:end + 3])
                del self.buf[:end + 3]
                good = cs.lower() == b"%02x" % checksum(data)
                if self.ack:
                    self.sock.sendall(b"+" if good else b"-")
                if good:
                    return data
                continue
            if not self._fill():
                return None

    def interrupted(self) -> bool:
        """Whether GDB sent the interrupt byte (without waiting); other bytes stay buffered."""
        if not self.closed:
            self._fill(timeout=0)
        if INTERRUPT in self.buf[:1]:
            del self.buf[0]
            return True
        return self.closed

    def send(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode("latin-1")
        try:
            self.sock.sendall(frame(data))
        except OSError:
            self.closed = True

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
