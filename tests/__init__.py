"""Tests of the toolkit itself. A package, so that pytest, mypy and `--app` give each module the same name."""
