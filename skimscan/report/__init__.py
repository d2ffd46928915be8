"""Stage package: see module docstrings."""
