"""docs/examples/ (the example suites of docs/testing.md) run green with plain pytest, and the
plugin's entry point is declared as the docs say."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import sim.pytest_plugin

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def test_the_example_suites_pass(plugin_args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    xml = tmp_path / "examples.xml"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        *plugin_args, f"--junitxml={xml}", "-o", "junit_family=xunit1",
                        str(EXAMPLES)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    files = sorted(p.name for p in EXAMPLES.glob("test_*.py"))
    assert files == ["test_mps2_an385.py", "test_virt.py"]
    assert "12 passed" in r.stdout
    assert 'name="irqsim_storm_p99_entry_latency"' in xml.read_text()


def test_the_entry_point_names_the_plugin():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["entry-points"]["pytest11"] == {"irqsim": "sim.pytest_plugin"}
    assert "sim" in meta["tool"]["setuptools"]["packages"]
    assert callable(sim.pytest_plugin.pytest_addoption)
