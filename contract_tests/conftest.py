"""`pytest contract_tests` in a checkout: the packaged suite's plugin (`pcaps_contract.contract_tests`)."""

pytest_plugins = ("pcaps_contract.contract_tests",)
