"""Composite-index engine: a replayable pipeline, uncertainty and sensitivity (COINr-class)."""
