"""Widgets of the paperlab TUI."""
