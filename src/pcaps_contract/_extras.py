"""The optional parts of the toolkit (pyproject's extras): a missing one is named in one sentence, never a traceback.

pip install 'pcaps-contract[s3]'        # boto3: challenge files in a real S3 or R2 bucket
pip install 'pcaps-contract[generate]'  # openapi-python-client and ruff: `pcaps-contract generate`
"""

from __future__ import annotations

import importlib.util

from pcaps_contract._errors import UsageError


def missing(module: str, extra: str, needed_by: str) -> UsageError:
    """The error for `needed_by` (a command or option) when `module`, part of `extra`, is not installed."""
    return UsageError(f"{needed_by} needs {module}, which is not installed; install pcaps-contract[{extra}].")


def require(module: str, extra: str, needed_by: str) -> None:
    """Raise `missing(...)` unless `module` can be imported (looked up without importing it)."""
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a parent package that is missing, or a module without a spec
        found = None
    if found is None:
        raise missing(module, extra, needed_by)
