"""Indicator catalogue and the engine that computes it on any backend."""
