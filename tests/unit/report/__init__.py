"""Reports of a run and their writers (`pcaps_contract.report`)."""
