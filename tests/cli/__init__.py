"""The whole command line end to end, as a user runs it: exit code and normalised output."""
