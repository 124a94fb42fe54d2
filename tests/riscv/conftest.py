"""The RISC-V tests' fixtures, from rv_helpers (where the test files import the helpers)."""

from rv_helpers import demo_image, noisr_image, rv, rvtest_image  # noqa: F401  (fixtures)
