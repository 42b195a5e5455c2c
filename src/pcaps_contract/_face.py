"""A package's face: the one door other packages come in by, each name loaded with its first use.

A face names what it serves once, as the imports a type checker reads (its `if TYPE_CHECKING:` block); at run time
the first use of a name imports the one module it comes from. So importing a face costs nothing (`check`'s flags
are read without schemathesis), faces never form an import cycle, and the type checker still sees every name.
"""

from __future__ import annotations

import ast
import importlib
import sys
import threading
from pathlib import Path
from typing import Any

_SERVED: dict[str, dict[str, tuple[str, str]]] = {}
_LOCK = threading.Lock()


def served(package: str, name: str) -> Any:
    """The value `package`'s face serves as `name`; AttributeError for a name it does not serve."""
    found = _names(package).get(name)
    if found is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    module, attribute = found
    if module == package:  # `from pcaps_contract.judge import checks`: a module the face serves whole
        return importlib.import_module(f"{package}.{attribute}")
    return getattr(importlib.import_module(module), attribute)


def _names(package: str) -> dict[str, tuple[str, str]]:
    """Each served name -> (the module it is imported from, its name there), read from the face's own source."""
    with _LOCK:
        if package not in _SERVED:
            _SERVED[package] = names_in(Path(str(sys.modules[package].__file__)).read_text(encoding="utf-8"))
        return _SERVED[package]


def names_in(source: str) -> dict[str, tuple[str, str]]:
    """The `from MODULE import NAME [as ALIAS]` lines of a face's `if TYPE_CHECKING:` block."""
    found: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for line in node.body:
                if isinstance(line, ast.ImportFrom) and line.module:
                    found.update({alias.asname or alias.name: (line.module, alias.name) for alias in line.names})
    return found
