"""Generates ``coderunhub/models.py`` from the gateway's OpenAPI document.

    python src/coderunhub/_codegen.py http://127.0.0.1:8000/openapi.json src/coderunhub/models.py

A generator of our own rather than a third-party one: the document uses a small subset of JSON
Schema (objects, ``$ref``, ``anyOf`` with null, string enums, arrays, maps), and owning the output
keeps it stable across tool releases, already ``ruff format``-clean, and reproducible in the test
that compares the committed module with a fresh generation (tests/sdk/test_openapi_coverage.py).
"""

from __future__ import annotations

import json
import keyword
import sys
import textwrap
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

HEADER = '''"""Models of the CodeRunHub API, generated from the gateway's OpenAPI document by
``coderunhub/_codegen.py``. Do not edit: regenerate (see clients/python/README.md)."""

from __future__ import annotations

'''

# Attributes a field may not shadow: pydantic refuses (or warns about) them.
_RESERVED = frozenset(dir(BaseModel)) | {"datetime", "uuid", "Any", "Literal", "Field"}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def annotation(schema: Mapping[str, Any]) -> str:
    """The Python type of a property's schema."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "anyOf" in schema:
        parts = [annotation(option) for option in schema["anyOf"]]
        # None last, as people write it.
        return " | ".join([p for p in parts if p != "None"] + [p for p in parts if p == "None"])
    kind = schema.get("type")
    if kind == "null":
        return "None"
    if kind == "string":
        if "enum" in schema:
            return f"Literal[{', '.join(_literal(v) for v in schema['enum'])}]"
        return {"uuid": "uuid.UUID", "date-time": "datetime.datetime"}.get(schema.get("format", ""), "str")
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return f"list[{annotation(schema.get('items', {}))}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"dict[str, {annotation(extra) if isinstance(extra, dict) else 'Any'}]"
    return "Any"


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref":
                yield _ref_name(value)
            elif key not in ("examples", "example", "default"):
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


def _ordered(schemas: Mapping[str, Any]) -> list[str]:
    """Dependencies before dependants (then by name), so no forward reference needs resolving."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dependency in sorted(set(_refs(schemas[name]))):
            if dependency in schemas:
                visit(dependency)
        done.append(name)

    for name in sorted(schemas):
        visit(name)
    return done


def _comment(text: str, indent: str) -> list[str]:
    """A description as ``#:`` lines (attribute docs), wrapped to stay within the line length."""
    lines: list[str] = []
    for paragraph in text.strip().split("\n\n"):
        wrapped = textwrap.wrap(" ".join(paragraph.split()), width=100 - len(indent))
        lines += [f"{indent}#: {line}".rstrip() for line in wrapped]
    return lines


def _docstring(text: str) -> list[str]:
    body = " ".join(text.strip().split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    wrapped = textwrap.wrap(body, width=110)
    if len(wrapped) == 1:
        return [f'    """{wrapped[0]}"""', ""]
    return ['    """' + wrapped[0], *[f"    {line}" for line in wrapped[1:]], '    """', ""]


def _enum(name: str, schema: Mapping[str, Any]) -> list[str]:
    lines = [f"class {name}(OpenEnum):"]
    if schema.get("description"):
        lines += _docstring(schema["description"])
    for value in schema["enum"]:
        lines.append(f"    {_member(value)} = {_literal(value)}")
    return lines


def _default(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> str:
    """A default as Python: an enum's member rather than its bare string (type checkers insist)."""
    target = schemas.get(_ref_name(schema.get("$ref", "")), {})
    value = schema["default"]
    if target.get("enum") and value in target["enum"]:
        return f"{_ref_name(schema['$ref'])}.{_member(value)}"
    return _literal(value)


def _member(value: str) -> str:
    return value if value.isidentifier() and not keyword.iskeyword(value) else f"{value}_"


def _field(prop: str, schema: Mapping[str, Any], required: bool, schemas: Mapping[str, Any]) -> list[str]:
    kind = annotation(schema)
    name = prop
    arguments: list[str] = []
    if keyword.iskeyword(prop) or prop in _RESERVED or not prop.isidentifier():
        name = "".join(c if c.isalnum() else "_" for c in prop) + "_"
        arguments.append(f"alias={_literal(prop)}")
    if not required:
        default = schema.get("default")
        if "default" in schema and not isinstance(default, list | dict):
            arguments.insert(0, f"default={_default(schema, schemas)}")
        elif isinstance(default, list | dict) or (kind.startswith(("list[", "dict[")) and "None" not in kind):
            # Mutable defaults get a fresh copy each time; an omitted list is an empty one.
            arguments.insert(0, f"default_factory={'dict' if kind.startswith('dict[') else 'list'}")
        else:
            if not kind.endswith("| None") and kind != "None":
                kind += " | None"
            arguments.insert(0, "default=None")
    lines = _comment(schema["description"], "    ") if schema.get("description") else []
    if len(arguments) == 1 and arguments[0].startswith("default="):
        lines.append(f"    {name}: {kind} = {arguments[0].removeprefix('default=')}")
    elif arguments:
        lines.append(f"    {name}: {kind} = Field({', '.join(arguments)})")
    else:
        lines.append(f"    {name}: {kind}")
    return lines


def _model(name: str, schema: Mapping[str, Any], request_models: set[str], schemas: Mapping[str, Any]) -> list[str]:
    base = "RequestModel" if name in request_models else "ResponseModel"
    lines = [f"class {name}({base}):"]
    if schema.get("description"):
        lines += _docstring(schema["description"])
    required = set(schema.get("required", ()))
    properties: Mapping[str, Any] = schema.get("properties", {})
    # Required fields first: Python needs no default before a default.
    for prop in sorted(properties, key=lambda p: p not in required):
        lines += _field(prop, properties[prop], prop in required, schemas)
    if not properties:
        lines.append("    pass")
    return lines


def request_schemas(document: Mapping[str, Any]) -> set[str]:
    """Schemas the client sends: request bodies and everything they reference."""
    schemas = document.get("components", {}).get("schemas", {})
    found: set[str] = set()
    pending = [
        ref
        for operations in document.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for ref in _refs(operation.get("requestBody", {}))
    ]
    while pending:
        name = pending.pop()
        if name not in found and name in schemas:
            found.add(name)
            pending.extend(_refs(schemas[name]))
    return found


def _imports(body: str) -> str:
    """Only what the body uses (the document decides which types appear)."""
    lines = [f"import {module}" for module in ("datetime", "uuid") if f"{module}." in body]
    typing = [name for name in ("Any", "Literal") if f"{name}[" in body or f"{name}]" in body]
    if typing:
        lines.append(f"from typing import {', '.join(typing)}")
    lines.append("")
    if "Field(" in body:
        lines += ["from pydantic import Field", ""]
    bases = [name for name in ("OpenEnum", "RequestModel", "ResponseModel") if f"({name}):" in body]
    lines.append(f"from coderunhub._base import {', '.join(bases)}")
    return "\n".join(lines) + "\n\n"


def generate(document: Mapping[str, Any]) -> str:
    schemas: Mapping[str, Any] = document.get("components", {}).get("schemas", {})
    request_models = request_schemas(document)
    order = _ordered(schemas)
    body = "__all__ = [\n" + "".join(f'    "{name}",\n' for name in sorted(order)) + "]\n"
    for name in order:
        schema = schemas[name]
        is_enum = schema.get("type") == "string" and "enum" in schema
        body += (
            "\n\n" + "\n".join(_enum(name, schema) if is_enum else _model(name, schema, request_models, schemas)) + "\n"
        )
    return HEADER + _imports(body) + body


def main() -> None:
    """``_codegen.py [DOCUMENT [OUTPUT]]``: DOCUMENT a URL or a file (default: a local gateway's),
    OUTPUT the module to write (default: stdout). Run it as a file, not with -m: importing the
    package imports the models it is about to replace, which may be the broken ones."""
    source = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/openapi.json"
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310  (a URL the developer names)
            document = json.load(response)
    else:
        with open(source, encoding="utf-8") as file:
            document = json.load(file)
    code = generate(document)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as out:
            out.write(code)
    else:
        sys.stdout.write(code)


if __name__ == "__main__":
    main()
