"""The package version, in a module of its own so any layer can name it without importing
the package root (which offers the notebook face)."""

__version__ = "0.1.0"
