"""Thin HTTP handlers, one Blueprint per area."""
