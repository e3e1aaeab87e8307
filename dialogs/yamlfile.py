"""YAML data files (flows, safety rules, labelled sets, scripts), read with libyaml's C parser
where PyYAML has it: several times faster than the pure-Python one, which matters at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """The file's one document, with only plain YAML types (as `yaml.safe_load`)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
