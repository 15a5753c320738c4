"""The workspace pages: Live, History, Compare, Value and Sweep."""
