"""Renderers of command results (text and JSON); they print nothing themselves."""
