"""`irqsim gdb` and `irqsim run --gdb`: wait halted for GDB, run on when it detaches; bad
addresses are one line and a non-zero exit."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli import main

from .conftest import Client

ROOT = Path(__file__).resolve().parents[2]


def _start(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _port(p) -> int:
    line = p.stderr.readline()
    found = re.search(r"waiting for GDB on 127\.0\.0\.1:(\d+)", line)
    assert found, line
    return int(found.group(1))


def test_gdb_command_waits_for_gdb_then_runs_on_after_detach():
    p = _start("gdb", "--board", "virt", "--port", "0")
    c = Client(_port(p))
    assert c.ask("?").startswith("T05")
    assert c.ask("D") == "OK"
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "line 10: handled 1" in out


def test_run_gdb_kill_ends_without_running():
    p = _start("run", "--gdb", "127.0.0.1:0")
    c = Client(_port(p))
    c.sock.sendall(b"$k#6b")
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0 and "self-test" not in out


def test_bad_gdb_address_is_a_usage_error():
    r = CliRunner().invoke(main, ["run", "--gdb", "localhost:http"])
    assert r.exit_code == 2 and "the port must be a number" in r.output


def test_busy_port_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
        r = CliRunner().invoke(main, ["gdb", "--port", str(port)])
    assert r.exit_code == 1
    assert re.search(rf"irqsim: error: cannot listen for GDB on 127.0.0.1:{port}: .*choose "
                     "another port", r.output), r.output
    assert "Traceback" not in r.output
