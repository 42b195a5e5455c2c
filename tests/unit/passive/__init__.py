"""The passive judges of `verify` and `proxy` (`pcaps_contract.passive`)."""
