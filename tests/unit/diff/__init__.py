"""The spec comparison of `diff` (`pcaps_contract.diff`)."""
