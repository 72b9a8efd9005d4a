"""Experiments run with the toolkit's own commands (not part of the installed packages)."""
