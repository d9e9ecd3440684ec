"""A lean executor for validated queries over the simulator's dict object graph.

graphql-core's executor is general: per field it builds a resolve-info record, checks for
awaitables, middleware and streams, and walks `complete_value`'s dispatch on the return type.
Profiled on ingest's pages (100 pull requests, their authors, labels and reviews), that
generality was most of the simulator's CPU. `FastExecutor` subclasses graphql-core's own
`Executor` and replaces only the per-field loop (`execute_fields`) and value completion, for
the one shape of resolution this simulator uses: objects are plain dicts keyed by field name,
a callable value is a field with arguments (called with `info` and the arguments). Everything
else stays graphql-core's: operation selection and variable coercion (`Executor.build`),
field collection with fragments, type conditions and `@skip`/`@include` (`collect_subfields`,
memoised per selection as graphql-core does), argument coercion (`get_argument_values`, once
per field per request), leaf coercion off the common cases, runtime-type checks, error
location and null propagation (`handle_field_error`), the response.

What it does not handle identically it does not guess at: it raises `Unsupported`, and
`execute()` answers that request with graphql-core's own executor (the counters in `STATS`
say how often each happened). That covers mutations and subscriptions, introspection fields
(`__schema`, `__type`), fields with their own resolvers, abstract values without a string
`__typename`, `is_type_of` checks, list fields whose value is not a list or tuple, and the
error-propagation switch directive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import graphql
from graphql import (
    ExecutionResult,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationType,
)
from graphql.execution.executor import Executor, default_type_resolver
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from graphql.type.definition import is_abstract_type, is_leaf_type
from graphql.type.introspection import TypeNameMetaFieldDef

INT_MIN, INT_MAX = -(2**31), 2**31 - 1

_new_tuple = tuple.__new__  # Path is a NamedTuple: build it without its Python-level __new__

_stats_lock = threading.Lock()
STATS = {"fast": 0, "fallback": 0}


class Unsupported(Exception):  # noqa: N818 - a signal, not an error a client sees
    """Something the fast path does not reproduce exactly; the request goes to graphql-core."""


def dict_field(source: Any, info: graphql.GraphQLResolveInfo, **args: Any) -> Any:
    """The field resolver both executors use: a dict's value for the field name, called with
    `info` and the arguments when it is callable. (Skips graphql-core's Mapping isinstance
    check, paid once per field of every node.)"""
    value = source.get(info.field_name) if type(source) is dict else None
    return value(info, **args) if callable(value) else value


def never_awaitable(value: Any) -> bool:
    """Every resolver here is synchronous: graphql-core need not check each value."""
    return False


def execute(
    schema: GraphQLSchema,
    document: graphql.DocumentNode,
    *,
    root_value: Any,
    variable_values: dict[str, Any],
    operation_name: str | None,
) -> ExecutionResult:
    """Execute a validated document with `FastExecutor`, or with graphql-core when it declines."""
    arguments = {
        "root_value": root_value,
        "variable_values": variable_values,
        "operation_name": operation_name,
        "field_resolver": dict_field,
        "is_awaitable": never_awaitable,
    }
    try:
        result = graphql.execute(schema, document, executor_class=FastExecutor, **arguments)
    except Unsupported:
        # Resolvers only read the world, so running the request again has no other effect.
        result = graphql.execute(schema, document, **arguments)
        outcome = "fallback"
    else:
        outcome = "fast"
    with _stats_lock:
        STATS[outcome] += 1
    return result  # type: ignore[return-value] - synchronous resolvers give a plain result


class _Field:
    """One response key of one selection set, prepared once per request."""

    __slots__ = (
        "args",
        "args_error",
        "as_is",
        "complete",
        "details",
        "enum_names",
        "int_leaf",
        "key",
        "name",
        "nodes",
        "nullable",
        "type",
    )

    def __init__(self, key: str, name: str, details: Any, field_type: Any) -> None:
        self.key = key
        self.name = name
        self.details = details  # graphql-core's FieldDetailsList (memoisation key for subfields)
        self.nodes = [d.node for d in details]
        self.type = field_type
        self.nullable = not isinstance(field_type, GraphQLNonNull)
        self.args: dict[str, Any] = {}
        self.args_error: Exception | None = None
        self.complete: Callable[..., Any] | None = None
        # Leaf values that graphql-core's coercion returns unchanged (see `_leaf`).
        named = graphql.get_nullable_type(field_type)
        self.as_is, self.enum_names, self.int_leaf = _as_is(named)


class FastExecutor(Executor):
    """graphql-core's Executor with a tight field loop for dict objects (see module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, list[_Field], bool]] = {}
        self._completers: dict[int, tuple[Any, Callable[..., Any]]] = {}
        self._runtime_types: dict[tuple[str, str], GraphQLObjectType] = {}

    def execute_operation(self, serially: bool | None = None) -> Any:
        if (
            self.operation.operation != OperationType.QUERY
            or not self.error_propagation
            or self.middleware_manager is not None
            or self.field_resolver is not dict_field
            or self.type_resolver is not default_type_resolver
        ):
            raise Unsupported(self.operation.operation.value)
        return super().execute_operation(serially)

    # -- the field loop ---------------------------------------------------------------------

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> dict[str, Any]:
        planned = self._plans.get(id(grouped_field_set))
        if planned is None:
            planned = self._plan(parent_type, grouped_field_set)
        fields = planned[1]
        type_name = parent_type.name
        source = source_value if type(source_value) is dict else None
        results: dict[str, Any] = {}
        for field in fields:
            key = field.key
            if field.complete is None:  # __typename
                results[key] = type_name
                continue
            try:
                if field.args_error is not None:
                    raise field.args_error
                result = source.get(field.name) if source is not None else None
                if callable(result):
                    info = self._info(field, parent_type, _new_tuple(Path, (path, key, type_name)))
                    result = result(info, **field.args)
                # The common leaves, as graphql-core would complete them, without a call.
                if result is None:
                    if field.nullable:
                        results[key] = None
                        continue
                elif type(result) in field.as_is or (
                    type(result) is str and result in field.enum_names
                ):
                    results[key] = result
                    continue
                elif field.int_leaf and type(result) is int and INT_MIN <= result <= INT_MAX:
                    results[key] = result
                    continue
                field_path = _new_tuple(Path, (path, key, type_name))
                results[key] = field.complete(field, parent_type, field_path, result)
            except Unsupported:
                raise
            except Exception as raw_error:  # noqa: BLE001 - a field error, as graphql-core handles it
                field_path = _new_tuple(Path, (path, key, type_name))
                self.handle_field_error(raw_error, field.type, field.details, field_path)
                results[key] = None
        return results

    def _info(self, field: _Field, parent_type: Any, path: Path) -> graphql.GraphQLResolveInfo:
        """What graphql-core's `build_resolve_info` gives a resolver."""
        return graphql.GraphQLResolveInfo(
            field.name,
            field.nodes,
            field.type,
            parent_type,
            path,
            self.schema,
            self.fragment_definitions,
            self.root_value,
            self.operation,
            self.variable_values,
            self.context_value,
            self.is_awaitable,
            self.abort_signal,
            self.async_helpers,
        )

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple:
        fields = []
        for key, details in grouped_field_set.items():
            node = details[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            if field_def is None:
                continue  # graphql-core leaves such a key out of the answer
            field = _Field(key, node.name.value, details, field_def.type)
            if field_def is TypeNameMetaFieldDef:
                fields.append(field)
                continue
            if field_def.resolve is not None:
                raise Unsupported(f"{parent_type.name}.{field.name} has its own resolver")
            if field_def.args or node.arguments:
                try:
                    field.args = get_argument_values(
                        field_def,
                        node,
                        self.variable_values,
                        details[0].fragment_variable_values,
                        self.hide_suggestions,
                    )
                except Exception as error:  # noqa: BLE001 - raised per object, as graphql-core does
                    field.args_error = error
            field.complete = self._completer(field_def.type)
            fields.append(field)
        # The set is kept alive with its plan, so that its id is not reused in this request.
        planned = (grouped_field_set, fields, True)
        self._plans[id(grouped_field_set)] = planned
        return planned

    # -- value completion (graphql-core's complete_value, specialised per type) -------------

    def _completer(self, return_type: Any) -> Callable[..., Any]:
        found = self._completers.get(id(return_type))
        if found is None:
            found = (return_type, self._make_completer(return_type))
            self._completers[id(return_type)] = found
        return found[1]

    def _make_completer(self, return_type: Any) -> Callable[..., Any]:
        if isinstance(return_type, GraphQLNonNull):
            return self._non_null(return_type)
        if isinstance(return_type, GraphQLList):
            return self._list(return_type)
        if is_leaf_type(return_type):
            return _leaf(return_type)
        if is_abstract_type(return_type):
            return self._abstract(return_type)
        return self._object(return_type)

    def _non_null(self, return_type: GraphQLNonNull) -> Callable[..., Any]:
        inner = self._completer(return_type.of_type)

        def complete(field: _Field, parent_type: Any, path: Path, result: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            completed = inner(field, parent_type, path, result)
            if completed is None:
                raise TypeError(
                    f"Cannot return null for non-nullable field {parent_type}.{field.name}."
                )
            return completed

        return complete

    def _list(self, return_type: GraphQLList) -> Callable[..., Any]:
        item_type = return_type.of_type
        inner = self._completer(item_type)
        handle_field_error = self.handle_field_error

        def complete(field: _Field, parent_type: Any, path: Path, result: Any) -> Any:
            if result is None:
                return None
            if isinstance(result, Exception):
                raise result
            if type(result) is not list and type(result) is not tuple:
                raise Unsupported("a list field's value is not a list")
            completed = []
            append = completed.append
            for index, item in enumerate(result):
                item_path = _new_tuple(Path, (path, index, None))
                try:
                    append(inner(field, parent_type, item_path, item))
                except Unsupported:
                    raise
                except Exception as raw_error:  # noqa: BLE001 - an item error, as graphql-core
                    handle_field_error(raw_error, item_type, field.details, item_path)
                    append(None)
            return completed

        return complete

    def _object(self, return_type: GraphQLObjectType) -> Callable[..., Any]:
        if return_type.is_type_of is not None:
            raise Unsupported(f"{return_type.name} has is_type_of")

        def complete(field: _Field, parent_type: Any, path: Path, result: Any) -> Any:
            if result is None:
                return None
            if isinstance(result, Exception):
                raise result
            grouped = self.collect_subfields(return_type, field.details).grouped_field_set
            return self.execute_fields(return_type, result, path, grouped, None)

        return complete

    def _abstract(self, return_type: Any) -> Callable[..., Any]:
        if return_type.resolve_type is not None:
            raise Unsupported(f"{return_type.name} has its own type resolver")
        runtime_types = self._runtime_types

        def complete(field: _Field, parent_type: Any, path: Path, result: Any) -> Any:
            if result is None:
                return None
            if isinstance(result, Exception):
                raise result
            name = result.get("__typename") if type(result) is dict else None
            if type(name) is not str:
                raise Unsupported("an abstract value without a __typename")
            runtime_type = runtime_types.get((return_type.name, name))
            if runtime_type is None:
                # graphql-core's own check, with its errors (the info it takes is unused when
                # the name is a string).
                runtime_type = self.ensure_valid_runtime_type(
                    name, return_type, field.details, None, result
                )
                runtime_types[(return_type.name, name)] = runtime_type
            if runtime_type.is_type_of is not None:
                raise Unsupported(f"{runtime_type.name} has is_type_of")
            grouped = self.collect_subfields(runtime_type, field.details).grouped_field_set
            return self.execute_fields(runtime_type, result, path, grouped, None)

        return complete


_AS_IS_SCALARS = {
    "String": frozenset({str}),
    "ID": frozenset({str}),
    "Boolean": frozenset({bool}),
}
NOTHING: frozenset = frozenset()


_as_is_found: dict[int, tuple[Any, tuple[frozenset, frozenset, bool]]] = {}


def _as_is(named_type: Any) -> tuple[frozenset, frozenset, bool]:
    """(Python types passed as they are, enum names passed as they are, whether in-range ints
    are) for values of a named type: the cases where graphql-core's output coercion returns its
    input unchanged. Kept per type for the process (it depends on nothing else)."""
    found = _as_is_found.get(id(named_type))
    if found is None:
        found = _as_is_found.setdefault(id(named_type), (named_type, _as_is_of(named_type)))
    return found[1]


def _as_is_of(named_type: Any) -> tuple[frozenset, frozenset, bool]:
    if named_type is graphql.GraphQLInt:
        return NOTHING, NOTHING, True
    if named_type in (graphql.GraphQLString, graphql.GraphQLID, graphql.GraphQLBoolean):
        return _AS_IS_SCALARS[named_type.name], NOTHING, False
    if isinstance(named_type, GraphQLEnumType):
        # An enum built from SDL has each value's name as its value.
        lookup = named_type._value_lookup  # noqa: SLF001
        return NOTHING, frozenset(n for n, v in lookup.items() if n == v), False
    if (
        isinstance(named_type, GraphQLScalarType)
        and named_type.coerce_output_value is GraphQLScalarType.serialize
    ):
        # A custom scalar of an SDL-built schema (DateTime, URI, BigInt…): graphql-core's
        # default coercion is the identity.
        return frozenset({str, int, float, bool}), NOTHING, False
    return NOTHING, NOTHING, False


_leaves_lock = threading.Lock()
_leaves: dict[int, tuple[Any, Callable[..., Any]]] = {}


def _leaf(return_type: Any) -> Callable[..., Any]:
    """Completes a scalar or enum (a list's items; fields take the same shortcuts inline):
    values graphql-core's coercion returns unchanged pass as they are, anything else goes
    through that coercion. Kept per type for the process (it depends on nothing else)."""
    found = _leaves.get(id(return_type))
    if found is not None:
        return found[1]
    as_is, enum_names, int_leaf = _as_is(return_type)
    coerce = Executor.complete_leaf_value

    def complete(field: _Field, parent_type: Any, path: Path, result: Any) -> Any:
        if result is None:
            return None
        if isinstance(result, Exception):
            raise result
        if (
            type(result) in as_is
            or (type(result) is str and result in enum_names)
            or (int_leaf and type(result) is int and INT_MIN <= result <= INT_MAX)
        ):
            return result
        return coerce(return_type, result)

    with _leaves_lock:
        _leaves.setdefault(id(return_type), (return_type, complete))
    return complete
