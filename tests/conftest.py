"""Suite-wide: pytest's own `pytester` (tests/testkit runs small suites through irqsim's
plugin with it)."""

pytest_plugins = ["pytester"]
