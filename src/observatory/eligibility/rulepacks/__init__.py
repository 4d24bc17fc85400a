"""Bundled rule packs (YAML data; this file only makes the folder ship in the wheel)."""
