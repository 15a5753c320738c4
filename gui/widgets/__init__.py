"""Widgets of the main window; each owns one part of the screen."""
