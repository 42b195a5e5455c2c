"""The generated client as a golden record."""
