"""The mock's parts (`pcaps_contract.mock`), in-process."""
