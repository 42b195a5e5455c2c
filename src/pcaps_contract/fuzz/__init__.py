"""`pcaps-contract fuzz`: long, budgeted, rate-limited property-based runs against a staging deployment.

Safe by default (`safety`), polite (`ratelimit`, `sender`), tidy (`cleanup`), and it hands back findings a person
can replay (`findings`, `baseline`, `report`, `replay`). `run` ties them together; the gate provides the checks.
"""
