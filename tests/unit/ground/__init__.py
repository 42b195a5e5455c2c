"""The shared modules at the root of the package (`_name`), each on its own."""
