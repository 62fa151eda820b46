"""Screens of the paperlab TUI."""
