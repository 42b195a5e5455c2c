"""One module or function of the toolkit at a time, in-process."""
