"""Read protocol files (YAML) from the shipped library and the clinic's own folders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from autologic.protocols.domain.parse import Issue, ProtocolInvalid, parse_protocol
from autologic.protocols.domain.schema import Protocol

LIBRARY = Path(__file__).resolve().parent / "library"


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of silently keeping the last one."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def protocol_dirs() -> list[Path]:
    """The shipped library, then the folders in ``AUTOLOGIC_PROTOCOL_DIRS`` (colon-separated)."""
    extra = os.environ.get("AUTOLOGIC_PROTOCOL_DIRS", "")
    return [LIBRARY, *(Path(part) for part in extra.split(os.pathsep) if part)]


def protocol_files(dirs: list[Path] | None = None) -> list[Path]:
    """Every ``*.yaml`` protocol file in the protocol folders, in a stable order."""
    found: list[Path] = []
    for folder in dirs if dirs is not None else protocol_dirs():
        found.extend(sorted(folder.glob("*.yaml")))
    return found


def read_protocol(path: Path) -> Protocol:
    """Parse and validate one file; errors name the file, the field and the reason."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        issue = Issue(where, f"not valid YAML: {problem}")
        raise ProtocolInvalid(
            "invalid_protocol",
            f"{path.name}: {issue}",
            None,
            {"source": path.name, "issues": [issue], "listing": str(issue)},
        ) from exc
    except OSError as exc:
        issue = Issue("", f"cannot be read: {exc.strerror}")
        raise ProtocolInvalid(
            "invalid_protocol",
            f"{path.name}: {issue}",
            None,
            {"source": path.name, "issues": [issue], "listing": str(issue)},
        ) from exc
    return parse_protocol(data, path.name)
