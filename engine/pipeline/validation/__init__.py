"""Validation of objects with upstream field paths and messages."""
