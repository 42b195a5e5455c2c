"""A plain `schemathesis run` of the spec against the served mock finds nothing, at several seeds.

Every default check runs, `ignored_auth`, `positive_data_acceptance` and `negative_data_rejection` included.
The account is pinned (a path parameter override) and the token scoped to it, so that positive cases reach
the success path instead of a 403 for a random account.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock.server import serve_in_thread
from pcaps_contract.spec import default_spec_path

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_schemathesis_finds_no_failure(seed: int, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.account_id" = "{ACCOUNT}"\n', encoding="utf-8")

    with serve_in_thread(create_app(MockConfig(accounts=(ACCOUNT,)))) as url:
        done = subprocess.run(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(config),
                "run",
                str(default_spec_path()),
                "--url",
                f"{url}/client/v4",
                "--header",
                f"Authorization: Bearer {DEV_TOKEN}",
                "--seed",
                str(seed),
                "--max-examples",
                "20",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )

    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert "No issues found" in done.stdout
