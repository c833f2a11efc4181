"""Render the endpoint reference of ``docs/reference/http-api.md`` from the OpenAPI spec.

    python tools/make_api_doc.py docs/reference/http-api.md   # rewrite the generated part

Only the text between the BEGIN/END markers is replaced; a test keeps it in sync.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

BEGIN = "<!-- BEGIN GENERATED: python tools/make_api_doc.py -->"
END = "<!-- END GENERATED -->"


def current_spec() -> dict[str, Any]:
    from cleanroom.server.app import create_app
    from cleanroom.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        spec: dict[str, Any] = create_app(Settings(data_dir=Path(tmp))).openapi()
    return spec


def _schema_name(content: dict[str, Any] | None) -> str:
    if not content:
        return ""
    schema = next(iter(content.values())).get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref", "")
    name = str(ref).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list[{name}]"
    return name


def _endpoint(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    ok = next((code for code in operation.get("responses", {}) if code.startswith("2")), "")
    reply = operation.get("responses", {}).get(ok, {})
    body = _schema_name(operation.get("requestBody", {}).get("content"))
    lines = [f"### `{method.upper()} {path}`", ""]
    lines.append((operation.get("description") or operation.get("summary", "")).strip())
    lines.append("")
    auth = "bearer token" if operation.get("security") else "none"
    lines.append(f"- auth: {auth}; success: {ok} {_schema_name(reply.get('content'))}".rstrip())
    if body:
        lines.append(f"- body: `{body}`")
    for parameter in operation.get("parameters", []):
        if parameter["in"] in ("query", "header"):
            lines.append(f"- {parameter['in']} `{parameter['name']}`")
    return [*lines, ""]


def _model(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### `{name}`", ""]
    if "enum" in schema:
        return [*lines, "One of: " + ", ".join(f"`{v}`" for v in schema["enum"]), ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | required |", "|---|---|---|"]
    for field, spec in schema.get("properties", {}).items():
        kind = spec.get("type") or _schema_name({"x": {"schema": spec}}) or "see schema"
        lines.append(f"| `{field}` | {kind} | {'yes' if field in required else 'no'} |")
    return [*lines, ""]


def render(spec: dict[str, Any]) -> str:
    lines = ["## Endpoints", ""]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            lines += _endpoint(method, path, operation)
    lines += ["## Models", ""]
    for name, schema in sorted(spec["components"]["schemas"].items()):
        lines += _model(name, schema)
    return "\n".join(lines).rstrip() + "\n"


def splice(document: str, generated: str) -> str:
    head, _, rest = document.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{generated}\n{END}{tail}"


def main(argv: list[str]) -> None:
    target = Path(argv[0])
    target.write_text(splice(target.read_text(encoding="utf-8"), render(current_spec())))


if __name__ == "__main__":
    main(sys.argv[1:])
