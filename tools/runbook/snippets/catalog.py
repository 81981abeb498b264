"""The snippet catalogue: finds every file under snippets/ and reads its YAML header.

One place parses headers so that the runner, the site build, triage and the tests agree on
what a snippet is, what it changes and which parameters it takes.
"""

from __future__ import annotations

import datetime
import difflib
import glob
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EFFECTS = ("read", "write")
TYPES = ("text", "integer", "date", "uuid", "identifier")
KINDS = {".sql": "sql", ".sh": "sh"}
# libyaml's safe loader when present: reading every header drops from ~77 ms to ~4 ms.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def repo_root() -> Path:
    """The folder that holds snippets/ and docs/: RUNBOOK_ROOT, else the checkout this package
    runs from (tools/runbook/, also under `pip install -e .`), else the copy an installed wheel
    carries in runbook/content/ (pyproject.toml's force-include), so `runbook` works anywhere."""
    env = os.environ.get("RUNBOOK_ROOT")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parents[1]
    checkout = package.parents[1]
    if package.parent.name == "tools" and (checkout / "snippets").is_dir():
        return checkout
    return package / "content"


def snippets_root() -> Path:
    return repo_root() / "snippets"


class HeaderError(ValueError):
    """A snippet's header is missing, is not YAML, or lacks a required key."""


class ParamError(ValueError):
    """A parameter given to a snippet is missing, unknown or malformed; the message names it."""


@dataclass(frozen=True)
class Param:
    name: str
    help: str
    example: str | None = None
    pattern: str | None = None
    type: str = "text"
    default: str | None = None
    list: bool = False

    @property
    def required(self) -> bool:
        return self.default is None

    def check(self, value: str) -> str:
        """Return the value, normalised; raise ParamError naming the parameter when it is bad."""
        value = str(value).strip()
        items = [v.strip() for v in value.split(",")] if self.list else [value]
        if not value or any(not item for item in items):
            raise ParamError(f"parameter {self.name!r} is empty ({self.help})")
        for item in items:
            if self.pattern and not re.fullmatch(self.pattern, item):
                raise ParamError(
                    f"parameter {self.name!r}: {item!r} does not match {self.pattern} ({self.help})"
                )
            _check_type(self.name, self.type, item)
        return ",".join(items) if self.list else value


def _check_type(name: str, kind: str, item: str) -> None:
    try:
        if kind == "integer":
            int(item, 10)
        elif kind == "date":
            datetime.date.fromisoformat(item)
        elif kind == "uuid":
            uuid.UUID(item)
        elif kind == "identifier" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$-]{0,62}", item):
            raise ValueError(item)
    except ValueError:
        raise ParamError(f"parameter {name!r}: {item!r} is not a valid {kind}") from None


@dataclass(frozen=True)
class Snippet:
    id: str
    path: Path
    kind: str
    title: str
    effect: str
    params: dict[str, Param] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    database: str = "id3c"
    header: dict = field(default_factory=dict)

    @property
    def area(self) -> str:
        return self.path.parent.name

    @property
    def relpath(self) -> str:
        return self.path.relative_to(repo_root()).as_posix()

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def body(self) -> str:
        """The text after the YAML header: what `runbook show` prints below its own lines."""
        return body_text(self.text, self.kind)

    def bind(self, given: dict[str, str]) -> dict[str, str]:
        """Check given parameters against the header; fill defaults. Raises ParamError."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            raise ParamError(
                f"unknown parameter {unknown[0]!r} for {self.id} (known: {', '.join(self.params) or 'none'})"
            )
        bound = {}
        for name, param in self.params.items():
            if name in given:
                bound[name] = param.check(given[name])
            elif param.default is not None:
                bound[name] = param.check(param.default)
            else:
                raise ParamError(f"missing parameter {name!r}: {param.help}")
        return bound

    def examples(self) -> dict[str, str]:
        return {n: p.example if p.example is not None else p.default for n, p in self.params.items()}


def header_lines(text: str, kind: str) -> list[str]:
    """The leading comment block (after a shebang), without its comment markers.

    It ends at the first line that is not a comment, or at a bare `--` / `#`, so a snippet can
    go on with prose comments that are not YAML.
    """
    return _split(text, kind)[0]


def body_text(text: str, kind: str) -> str:
    """What follows the header (and the bare marker that ended it, if any)."""
    return "\n".join(_split(text, kind)[1])


def _split(text: str, kind: str) -> tuple[list[str], list[str]]:
    marker = "--" if kind == "sql" else "#"
    lines = text.splitlines()
    i = 1 if lines and lines[0].startswith("#!") else 0
    header = []
    while i < len(lines) and lines[i].startswith(marker) and lines[i].strip() != marker:
        body = lines[i][len(marker):]
        header.append(body[1:] if body.startswith(" ") else body)
        i += 1
    if i < len(lines) and lines[i].strip() == marker:
        i += 1  # a bare marker ends the header; prose comments may follow
    return header, lines[i:]


def load(path: Path) -> Snippet:
    path = Path(path).resolve()
    kind = KINDS.get(path.suffix)
    if kind is None:
        raise HeaderError(f"{path}: not a .sql or .sh snippet")
    text = path.read_text()
    try:
        header = yaml.load("\n".join(header_lines(text, kind)), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise HeaderError(f"{path}: header is not YAML: {exc}") from None
    if not isinstance(header, dict):
        raise HeaderError(f"{path}: header is not a mapping")
    for key in ("title", "effect"):
        if key not in header:
            raise HeaderError(f"{path}: header lacks {key!r}")
    if header["effect"] not in EFFECTS:
        raise HeaderError(f"{path}: effect must be one of {EFFECTS}")
    params = {}
    for name, spec in (header.get("params") or {}).items():
        spec = dict(spec or {})
        if "help" not in spec:
            raise HeaderError(f"{path}: parameter {name!r} has no help")
        if spec.get("type", "text") not in TYPES:
            raise HeaderError(f"{path}: parameter {name!r} has unknown type {spec['type']!r}")
        for key in ("example", "default"):
            if spec.get(key) is not None:
                spec[key] = str(spec[key])
        try:
            params[name] = Param(name=name, **spec)
        except TypeError as exc:
            raise HeaderError(f"{path}: parameter {name!r}: {exc}") from None
    return Snippet(
        id=path.stem,
        path=path,
        kind=kind,
        title=str(header["title"]),
        effect=header["effect"],
        params=params,
        tags=tuple(header.get("tags") or ()),
        database=str(header.get("database", "id3c")),
        header=header,
    )


def discover(root: Path | None = None) -> list[Snippet]:
    """Every snippet under snippets/, sorted by path."""
    root = root or snippets_root()
    return [load(p) for p in sorted(root.rglob("*")) if p.suffix in KINDS and p.is_file()]


def find(snippet_id: str) -> Snippet:
    """The snippet with that id (file stem), path relative to the checkout, or path.

    A bare id is looked up by file name first, reading only that file's header: cheaper than
    discovering every snippet, and a neighbour with a broken header does not get in the way.
    """
    if "/" not in snippet_id and "." not in snippet_id:
        paths = [p for p in snippets_root().rglob(glob.escape(snippet_id) + ".*")
                 if p.suffix in KINDS and p.stem == snippet_id and p.is_file()]
        if len(paths) == 1:
            return load(paths[0])
    known = discover()
    for snippet in known:
        if snippet_id in (snippet.id, snippet.relpath, str(snippet.path)):
            return snippet
    close = difflib.get_close_matches(snippet_id, [s.id for s in known], n=3, cutoff=0.75)
    raise SnippetNotFound(snippet_id, close)


class SnippetNotFound(KeyError):
    """No snippet has that id; .suggestions holds the closest ids (difflib), maybe none."""

    def __init__(self, snippet_id: str, suggestions: list[str]):
        hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"no snippet {snippet_id!r}{hint} (`runbook list` shows them)")
        self.suggestions = suggestions
