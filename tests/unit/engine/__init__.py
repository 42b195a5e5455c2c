"""Sending and the schemathesis binding (`pcaps_contract.engine`), without sockets."""
