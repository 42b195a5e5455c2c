"""A user's own code type-checks against the committed pcaps_client under `mypy --strict`: the package ships py.typed.

mypy runs in a temporary folder, outside the checkout, and finds the package the way it finds an installed one:
in a folder on the interpreter's path, where a package without py.typed is `import-untyped`. The interpreter runs
with `-S` and the venv's site-packages on PYTHONPATH, so that its .pth files (the editable install's, which would
put this checkout's generated/ on the path too) add nothing: the folder given is the only pcaps_client mypy sees.
MYPYPATH would not do: mypy takes folders named there as sources, which need no py.typed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from pcaps_contract.codegen import render as codegen

GENERATED = Path(__file__).resolve().parents[2] / "generated"

USER_SCRIPT = """\
from typing import assert_type

from pcaps_client import AsyncPcapsClient, PcapsApiError, PcapsClient
from pcaps_client.models import Ownership, OwnershipStatus


def pending_ids(client: PcapsClient, account_id: str) -> list[str]:
    return [bucket.id for bucket in client.list_buckets(account_id) if bucket.status is OwnershipStatus.PENDING]


def add(client: PcapsClient, account_id: str) -> Ownership | None:
    try:
        return client.add_bucket(account_id, "s3://pcaps-bucket?region=us-east-1")
    except PcapsApiError as failure:
        print(failure.status_code)
        return None


client = PcapsClient(base_url="http://127.0.0.1:8787/client/v4", api_token="a-token")
assert_type(client.list_buckets("023e105f4ecef8ad9ca31a8372d0c353"), list[Ownership])
assert_type(client.add_bucket("023e105f4ecef8ad9ca31a8372d0c353", "gs://b").status, OwnershipStatus)
assert_type(PcapsClient(api_token="a-token", max_retries=0, sleep=lambda seconds: None).max_retries, int)


async def listed(account_id: str) -> list[str]:
    async with AsyncPcapsClient(api_token="a-token", max_retries=5) as async_client:
        buckets = await async_client.list_buckets(account_id)
        assert_type(buckets, list[Ownership])
        await async_client.delete_bucket(account_id, buckets[0].id)
        return [bucket.id for bucket in buckets]
"""


def _mypy_strict(script_dir: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` of the user's script, with `site` on the interpreter's path and no configuration read."""
    installed = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])  # mypy, attrs, httpx
    env = {key: value for key, value in os.environ.items() if key != "MYPYPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *installed])
    return subprocess.run(
        [
            sys.executable,
            "-S",
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            os.devnull,
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "user.py",
        ],
        cwd=script_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _user_script(tmp_path: Path) -> Path:
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "user.py").write_text(USER_SCRIPT, encoding="utf-8")
    return folder


def test_a_users_script_passes_mypy_strict_against_the_committed_client(tmp_path: Path) -> None:
    done = _mypy_strict(_user_script(tmp_path), GENERATED)

    assert (GENERATED / codegen.PACKAGE_NAME / "py.typed").is_file()
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_py_typed_the_same_script_fails_as_import_untyped(tmp_path: Path) -> None:
    """The check above can fail: mypy reads the marker on this path."""
    site = tmp_path / "site"
    shutil.copytree(
        GENERATED / codegen.PACKAGE_NAME, site / codegen.PACKAGE_NAME, ignore=shutil.ignore_patterns("__pycache__")
    )
    (site / codegen.PACKAGE_NAME / "py.typed").unlink()

    done = _mypy_strict(_user_script(tmp_path), site)

    assert done.returncode == 1
    assert "[import-untyped]" in done.stdout, done.stdout + done.stderr
