"""The `fuzz` door (`pcaps_contract.fuzz`), in-process."""
