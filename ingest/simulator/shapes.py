"""Check that a GraphQL answer has exactly the shape its query asked for (keys, aliases, fragments).

GitHub answers only what was selected: every requested key present (null allowed), nothing
more; a fragment's fields only on objects whose `__typename` matches its type condition (or
implements its interface). Used by the fidelity tests and the `github_sim` fixture.
"""

from __future__ import annotations

import json
from typing import Any

import graphql
from graphql import GraphQLSchema


def _fragments(document: graphql.DocumentNode) -> dict[str, graphql.FragmentDefinitionNode]:
    return {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, graphql.FragmentDefinitionNode)
    }


def _applies(schema: GraphQLSchema, condition: str | None, typename: str | None) -> bool:
    if condition is None or typename is None or condition == typename:
        return True
    abstract, concrete = schema.get_type(condition), schema.get_type(typename)
    return bool(
        graphql.is_abstract_type(abstract) and concrete and schema.is_sub_type(abstract, concrete)
    )


def _fields(schema, selection_set, fragments, typename) -> dict[str, list[graphql.SelectionNode]]:
    """Response key -> sub-selections, for an object of `typename`."""
    out: dict[str, list[graphql.SelectionNode]] = {}
    for selection in selection_set.selections:
        if isinstance(selection, graphql.FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            out.setdefault(key, []).extend(
                selection.selection_set.selections if selection.selection_set else ()
            )
            continue
        fragment = (
            fragments[selection.name.value]
            if isinstance(selection, graphql.FragmentSpreadNode)
            else selection
        )
        condition = fragment.type_condition.name.value if fragment.type_condition else None
        if _applies(schema, condition, typename):
            for key, subs in _fields(schema, fragment.selection_set, fragments, typename).items():
                out.setdefault(key, []).extend(subs)
    return out


def _walk(schema, selections, fragments, value, path, found: list[str]) -> None:
    if value is None or not selections:
        return
    if isinstance(value, list):
        for n, item in enumerate(value):
            _walk(schema, selections, fragments, item, f"{path}[{n}]", found)
        return
    if not isinstance(value, dict):
        found.append(f"{path}: expected an object, got {type(value).__name__}")
        return
    wanted = _fields(
        schema,
        graphql.SelectionSetNode(selections=tuple(selections)),
        fragments,
        value.get("__typename"),
    )
    if set(value) != set(wanted):
        missing, extra = sorted(set(wanted) - set(value)), sorted(set(value) - set(wanted))
        found.append(f"{path}: missing {missing}, not asked for {extra}")
    for key, subs in wanted.items():
        if key in value:
            _walk(schema, subs, fragments, value[key], f"{path}.{key}", found)


def shape_problems(
    schema: GraphQLSchema, query: str, data: Any, operation_name: str | None = None
) -> list[str]:
    """Where `data` differs in shape from what `query` selects (empty when it matches)."""
    document = graphql.parse(query)
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if operation is None:
        return [f"no operation {operation_name!r} in the query"]
    found: list[str] = []
    _walk(schema, operation.selection_set.selections, _fragments(document), data, "data", found)
    return found


def served_graphql_problems(schema: GraphQLSchema, served: Any) -> list[str]:
    """Shape problems of every recorded `POST /graphql` answer that carries data."""
    found = []
    for answer in served:
        if (
            answer.endpoint != "POST /graphql"
            or not isinstance(answer.body, dict)
            or not answer.body.get("data")
        ):
            continue
        request = json.loads(answer.request)
        found += [
            f"POST /graphql: {p}"
            for p in shape_problems(
                schema, request["query"], answer.body["data"], request.get("operationName")
            )
        ]
    return found
