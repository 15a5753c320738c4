"""The main window, its tabs and pages, and the window-level behaviours (demo mode,
exports, the observer meter)."""
