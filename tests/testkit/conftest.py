"""Fixtures for the plugin's tests: how an inner pytest run loads irqsim's plugin."""

import importlib.metadata

import pytest


def plugin_installed() -> bool:
    """Whether the `irqsim` pytest11 entry point is installed (then pytest loads the plugin by
    itself, and `-p sim.pytest_plugin` would register it twice)."""
    return any(ep.name == "irqsim" for ep in importlib.metadata.entry_points(group="pytest11"))


@pytest.fixture(scope="session")
def plugin_args():
    """Arguments that give an inner pytest run the plugin, installed or not."""
    return [] if plugin_installed() else ["-p", "sim.pytest_plugin"]


@pytest.fixture
def run_inner(pytester, plugin_args):
    """Runs a suite written with pytester.makepyfile through the plugin (in process)."""
    return lambda *args: pytester.runpytest(*plugin_args, *args)
