"""The packaged test, collected here so that `pytest contract_tests` runs it (see `pcaps_contract.contract_tests`)."""

from pcaps_contract.contract_tests.test_contract import test_operation_keeps_the_contract

__all__ = ["test_operation_keeps_the_contract"]
