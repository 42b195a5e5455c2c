"""Broken implementations the gate must fail, each naming the check it breaks."""
