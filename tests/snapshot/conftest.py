"""The snapshot tests' fixtures, from snap_helpers (where the test file imports the helpers)."""

from snap_helpers import cm_image, rtc_image  # noqa: F401  (fixtures)
