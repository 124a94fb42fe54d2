"""Outputs (issue 12, class 3): "-" is standard output; devices and FIFOs are written in place;
a symlink's target is written through; a regular file is replaced whole or not at all; a full
disk or a refused write is one clear error and the old file stays."""

import errno
import os
import stat
import subprocess
import sys
import threading

import pytest

from sim.errors import ConfigError
from sim.export import atomic_output

from .conftest import ROOT

SHORT = ["storm", "--ticks", "200000"]


def irqsim(*args, **kw):
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120, **kw)


def test_dash_streams_the_export_to_stdout_and_the_report_to_stderr():
    p = irqsim(*SHORT, "--jsonl", "-")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines and all(ln.startswith("{") for ln in lines)      # only the export
    assert "wrote jsonl: -" in p.stderr
    assert not os.path.exists(ROOT / "-")


def test_dev_full_is_one_clear_error_and_stays_a_device():
    p = irqsim(*SHORT, "--perfetto", "/dev/full")
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1].startswith(
        "irqsim: error: cannot write /dev/full: No space left on device")
    assert "Traceback" not in p.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_dev_null_is_written_in_place():
    p = irqsim(*SHORT, "--vcd", "/dev/null")
    assert p.returncode == 0, p.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    p = irqsim(*SHORT, "--jsonl", str(fifo))
    reader.join(60)
    assert p.returncode == 0, p.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith("{")


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "real.jsonl"
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    p = irqsim(*SHORT, "--jsonl", str(link))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("{")
    assert sorted(os.listdir(tmp_path)) == ["link.jsonl", "real.jsonl"]


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs (root only); skipped where it cannot be mounted."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_full_disk_keeps_the_old_file(small_tmpfs):
    old = small_tmpfs / "trace.jsonl"
    old.write_text("previous\n")
    p = irqsim("storm", "--ticks", "2000000", "--jsonl", str(old))
    assert p.returncode == 1
    assert "irqsim: error: cannot write" in p.stderr and "No space left on device" in p.stderr
    assert "an existing file stays as it was" in p.stderr
    assert old.read_text() == "previous\n"
    assert os.listdir(small_tmpfs) == ["trace.jsonl"]           # no temporary left


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_failing_write_is_a_config_error_and_the_old_file_stays(tmp_path, code):
    old = tmp_path / "out.vcd"
    old.write_text("previous\n")
    with pytest.raises(ConfigError, match=f"cannot write {old}: {os.strerror(code)}"):
        with atomic_output(old) as f:
            f.write("partial")
            raise OSError(code, os.strerror(code))
    assert old.read_text() == "previous\n"
    assert os.listdir(tmp_path) == ["out.vcd"]


def test_a_folder_as_output_is_refused_before_the_run(tmp_path):
    p = irqsim(*SHORT, "--vcd", str(tmp_path))
    assert p.returncode in (1, 2)
    assert "Traceback" not in p.stderr
