"""The generated client's behaviour, against the in-process mock and on canned answers."""
