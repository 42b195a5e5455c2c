"""A hostile HTTP server: the API answered correctly once, then every way a server can misbehave."""
