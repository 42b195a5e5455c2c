"""Implementations of the API that share no code with the bundled mock, so the gate is judged against a stranger."""
