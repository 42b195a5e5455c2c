"""The contract's semantics (`pcaps_contract.judge`), on hand-built answers."""
