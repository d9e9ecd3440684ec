"""Check served REST answers against GitHub's OpenAPI description (the fidelity contract).

GitHub's description is OpenAPI 3.0: `nullable: true` is not JSON Schema, so it is rewritten
to a null alternative once when the description is loaded; `$ref`s resolve inside the
document. Loading takes a few seconds, so the result is cached per process.
Uses `jsonschema` (a dev dependency); nothing here runs in the server itself.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from functools import lru_cache
from typing import Any

from ingest.simulator.graphql_api import contracts_dir

_lock = threading.Lock()
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _nullable(value) for key, value in node.items()}
        if node.pop("nullable", False):
            if "type" in node and isinstance(node["type"], str):
                node["type"] = [node["type"], "null"]
                if "enum" in node:
                    node["enum"] = [*node["enum"], None]
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable(value) for value in node]
    return node


@lru_cache(maxsize=1)
def description() -> dict[str, Any]:
    """GitHub's REST description with JSON-Schema nullability; raises FileNotFoundError if absent."""
    with _lock:
        raw = json.load(gzip.open(contracts_dir() / "api.github.com.json.gz"))
        raw["components"] = _nullable(raw["components"])
        raw["paths"] = _nullable(raw["paths"])
        return raw


@lru_cache(maxsize=256)
def _validator(template: str, method: str, status: str, variant: int):
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    spec = description()
    responses = spec["paths"][template][method.lower()]["responses"]
    response = responses[status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema = response["content"]["application/json"]["schema"]
    if variant >= 0:
        schema = schema["anyOf"][variant]
    registry = Registry().with_resource("urn:github", Resource(contents=spec, specification=DRAFT4))
    return jsonschema.Draft4Validator(_rebase(schema), registry=registry)


def documented(template: str, method: str, status: int) -> bool:
    """Whether GitHub documents a JSON body for this operation and status."""
    operation = description()["paths"].get(template, {}).get(method.lower())
    if not operation or str(status) not in operation["responses"]:
        return False
    response = operation["responses"][str(status)]
    if "$ref" in response:
        response = description()["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return "application/json" in response.get("content", {})


def served_problems(served: Any) -> list[str]:
    """Problems of every recorded REST answer whose status GitHub documents for its operation."""
    found = []
    for answer in served:
        method, template = answer.endpoint.split(" ", 1)
        if template == "/graphql" or not documented(template, method, answer.status):
            continue
        variant = -1
        if template.endswith("/stargazers") and answer.status == 200:
            variant = 1 if "star+json" in answer.accept else 0
        found += [
            f"{answer.endpoint} {answer.status}: {p}"
            for p in problems(template, method, answer.status, answer.body, variant=variant)
        ]
    return found


def _rebase(node: Any) -> Any:
    # Point local "#/components/…" references at the registered description.
    if isinstance(node, dict):
        return {
            k: ("urn:github" + v if k == "$ref" and v.startswith("#") else _rebase(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def problems(template: str, method: str, status: int, body: Any, *, variant: int = -1) -> list[str]:
    """Why `body` does not match the documented response (empty when it does)."""
    validator = _validator(template, method, str(status), variant)
    found = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator.iter_errors(body)
    ]
    found += [
        f"{path}: {value!r} is not GitHub's timestamp form" for path, value in _timestamps(body, "")
    ]
    return found


def _timestamps(node: Any, path: str):
    if isinstance(node, dict):
        for key, value in node.items():
            if (
                (key.endswith("_at") or key == "date")
                and isinstance(value, str)
                and not TIMESTAMP.match(value)
            ):
                yield f"{path}/{key}", value
            yield from _timestamps(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _timestamps(value, f"{path}/{n}")
