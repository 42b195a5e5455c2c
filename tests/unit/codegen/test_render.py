"""codegen's comparison of a package folder with a fresh generation, without running the generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcaps_contract._errors import SpecError
from pcaps_contract.codegen import render as codegen


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_identical_folders_have_no_changes(tmp_path: Path) -> None:
    files = {"__init__.py": "x = 1\n", "models/a.py": "a = 1\n"}

    assert codegen.compare(_tree(tmp_path / "old", files), _tree(tmp_path / "new", files)) == []


def test_added_removed_and_changed_files_are_each_named_in_path_order(tmp_path: Path) -> None:
    old = _tree(tmp_path / "old", {"a.py": "same\n", "gone.py": "bye\n", "models/m.py": "x = 1\ny = 2\n"})
    new = _tree(tmp_path / "new", {"a.py": "same\n", "fresh.py": "hi\n", "models/m.py": "x = 1\ny = 3\n"})

    changes = codegen.compare(old, new)

    assert [(change.kind, change.path) for change in changes] == [
        ("added", "pcaps_client/fresh.py"),
        ("removed", "pcaps_client/gone.py"),
        ("changed", "pcaps_client/models/m.py"),
    ]
    assert changes[2].diff == ("@@ -1,2 +1,2 @@", " x = 1", "-y = 2", "+y = 3")
    assert changes[0].render() == "added: pcaps_client/fresh.py\n@@ -0,0 +1 @@\n+hi"


def test_caches_left_by_python_and_tools_are_not_differences(tmp_path: Path) -> None:
    old = _tree(
        tmp_path / "old",
        {"a.py": "a\n", "__pycache__/a.cpython-311.pyc": "bytes", ".mypy_cache/x": "", "models/b.pyc": "b"},
    )
    new = _tree(tmp_path / "new", {"a.py": "a\n"})

    assert codegen.compare(old, new) == []


def test_a_missing_package_folder_means_every_file_is_added(tmp_path: Path) -> None:
    new = _tree(tmp_path / "new", {"a.py": "a\n"})

    assert [change.kind for change in codegen.compare(tmp_path / "absent", new)] == ["added"]


def test_a_long_diff_is_cut_short_with_a_count(tmp_path: Path) -> None:
    old = _tree(tmp_path / "old", {"a.py": "".join(f"{n}\n" for n in range(100))})
    new = _tree(tmp_path / "new", {"a.py": "".join(f"{n * 2}\n" for n in range(100))})

    rendered = codegen.compare(old, new)[0].render(max_lines=5).splitlines()

    assert len(rendered) == 7
    assert rendered[-1].startswith("... (") and rendered[-1].endswith("more diff lines)")


def test_rendering_a_spec_that_does_not_load_raises_spec_error_before_the_generator_runs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [unclosed\n", encoding="utf-8")

    with pytest.raises(SpecError, match="not valid YAML"):
        codegen.render(bad, tmp_path / "out")

    assert not (tmp_path / "out").exists()
