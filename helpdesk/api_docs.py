"""The API's browsable documentation (/api/v1/docs/): the OpenAPI schema drf-spectacular builds
from the code, rendered as one page of the product (our layout, our CSS, no script), so the
Content-Security-Policy and the accessibility checks hold there as everywhere."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: dict) -> str:
    """A short, readable type: "integer", "string (date-time)", "Ticket", "array of Comment"."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "allOf" in schema:
        return " & ".join(_type_of(part) for part in schema["allOf"])
    if "oneOf" in schema:
        return " or ".join(_type_of(part) for part in schema["oneOf"])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"] if value is not None)
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    return kind


def _describe(component: dict) -> str:
    if "enum" in component:  # its values, not the schema's markdown list of them
        return "One of: " + ", ".join(str(v) for v in component["enum"] if v is not None) + "."
    return component.get("description", "")


def _fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(prop),
            "required": name in required,
            "nullable": bool(prop.get("nullable")),
            "read_only": bool(prop.get("readOnly")),
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operations(schema: dict) -> list[dict]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            operations.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "type": _type_of(parameter.get("schema", {})),
                            "required": parameter.get("required", False),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "request": _type_of(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", ""),
                            "type": _type_of(
                                response.get("content", {})
                                .get("application/json", {})
                                .get("schema", {})
                            )
                            if response.get("content")
                            else "",
                        }
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return operations


@require_GET
def api_docs(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    context = {
        "info": schema["info"],
        "operations": _operations(schema),
        "components": [
            {
                "name": name,
                "description": _describe(component),
                "fields": _fields(component),
            }
            for name, component in sorted(components.items())
        ],
    }
    return render(request, "api/docs.html", context)
