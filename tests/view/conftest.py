from view_helpers import pages, storm_traces  # noqa: F401  (fixtures)
