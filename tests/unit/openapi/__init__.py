"""The spec, read one way (`pcaps_contract.openapi`)."""
