"""A GDB server on loopback in a thread, and a small RSP client that speaks to it the way GDB
does (GDB manual, appendix E)."""

import socket
import threading

import pytest

import sim
from sim.gdb import GdbServer
from sim.gdb.rsp import checksum, frame


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def _byte(self):
        while not self.buf:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection"
            self.buf += data
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def recv(self) -> str:
        """The next packet that is not console output (O packets are collected)."""
        while True:
            b = self._byte()
            if b in b"+-":
                continue
            assert b == b"$", b
            data = b""
            while (b := self._byte()) != b"#":
                data += b
            cs = self._byte() + self._byte()
            assert int(cs, 16) == checksum(data)
            self.sock.sendall(b"+")
            text = data.decode("latin-1")
            if text.startswith("O") and text != "OK" and all(
                    c in "0123456789abcdef" for c in text[1:]) and len(text) > 1:
                self.output += bytes.fromhex(text[1:]).decode()
                continue
            return text

    output = ""

    def ask(self, packet: str) -> str:
        self.sock.sendall(frame(packet.encode("latin-1")))
        return self.recv()

    def monitor(self, command: str) -> str:
        self.output = ""
        assert self.ask("qRcmd," + command.encode().hex()) == "OK"
        return self.output

    def reg(self, n: int) -> int:
        return int.from_bytes(bytes.fromhex(self.ask(f"p{n:x}")), "little")

    def close(self):
        self.sock.close()


@pytest.fixture
def served():
    """served(board, machine=None) -> (client, machine, thread running serve())."""
    made = []

    def make(board="mps2-an385", m=None):
        m = m or sim.Machine.demo(board)
        server = GdbServer(m, port=0)
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("end", server.serve()),
                             daemon=True)
        t.start()
        c = Client(server.port)
        made.append((c, t, m))
        t.result = result
        return c, m, t

    yield make
    for c, t, m in made:
        c.close()
        t.join(30)
        m.close()
