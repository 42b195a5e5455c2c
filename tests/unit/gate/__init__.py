"""The `check` door (`pcaps_contract.gate`), in-process."""
