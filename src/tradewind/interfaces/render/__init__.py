"""Renderers shared by the front ends: outcomes as JSON-able dicts, one-line answers and table rows as plain text."""
