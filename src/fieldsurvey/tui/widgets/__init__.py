"""Reusable widgets of the TUI, one per module with its messages nested."""
