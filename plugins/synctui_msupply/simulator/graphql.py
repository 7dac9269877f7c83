"""A very small GraphQL executor: enough of the language for the site's few operations.

Parses a document (operations, fragments, inline fragments, aliases, arguments, variables), lets a
resolver produce each root field as plain data (dicts carry `__typename`), and projects that data onto
the selection so the answer holds exactly the requested fields, as a real server would. No schema, no
validation beyond "unknown root field": a full GraphQL server library would be the only dependency of
the simulator for four queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""(?P<skip>[\s,]+|\#[^\n]*)
      |(?P<spread>\.\.\.)
      |(?P<punct>[{}()\[\]:=!$@])
      |(?P<string>"(?:[^"\\]|\\.)*")
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)""",
    re.X,
)


class GraphQLSyntaxError(ValueError):
    pass


@dataclass
class Field:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Any] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Spread:
    fragment: str


@dataclass
class InlineFragment:
    type_condition: str | None
    selections: list[Any]


@dataclass
class Variable:
    name: str


@dataclass
class Operation:
    kind: str  # query, mutation, subscription
    name: str | None
    selections: list[Any]


@dataclass
class Document:
    operations: list[Operation]
    fragments: dict[str, tuple[str, list[Any]]]

    def operation(self, name: str | None) -> Operation:
        if name:
            for op in self.operations:
                if op.name == name:
                    return op
            raise GraphQLSyntaxError(f'Unknown operation named "{name}".')
        if len(self.operations) != 1:
            raise GraphQLSyntaxError("Must provide operation name if query contains multiple operations.")
        return self.operations[0]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise GraphQLSyntaxError(f"Syntax Error: Unexpected character {text[pos]!r} at {pos}.")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "skip":
            out.append((kind, match.group()))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value) or (kind is not None and tok[0] != kind):
            want = value or kind
            got = tok[1] if tok else "end of document"
            raise GraphQLSyntaxError(f"Syntax Error: Expected {want}, found {got}.")
        self.i += 1
        return tok[1]

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[1] == value and tok[0] != "string"

    def document(self) -> Document:
        ops, frags = [], {}
        while self.peek() is not None:
            if self.at("{"):
                ops.append(Operation("query", None, self.selection_set()))
                continue
            word = self.take(kind="name")
            if word == "fragment":
                name = self.take(kind="name")
                self.take("on")
                type_name = self.take(kind="name")
                frags[name] = (type_name, self.selection_set())
            elif word in ("query", "mutation", "subscription"):
                name = self.take(kind="name") if self.peek() and self.peek()[0] == "name" else None  # type: ignore[index]
                if self.at("("):
                    self.skip_balanced("(", ")")
                ops.append(Operation(word, name, self.selection_set()))
            else:
                raise GraphQLSyntaxError(f"Syntax Error: Unexpected Name {word!r}.")
        if not ops:
            raise GraphQLSyntaxError("Syntax Error: the document has no operation.")
        return Document(ops, frags)

    def skip_balanced(self, open_: str, close: str) -> None:
        depth = 0
        while True:
            tok = self.take()
            if tok == open_:
                depth += 1
            elif tok == close:
                depth -= 1
                if depth == 0:
                    return

    def selection_set(self) -> list[Any]:
        self.take("{")
        out: list[Any] = []
        while not self.at("}"):
            if self.at("..."):
                self.take("...")
                if self.at("on"):
                    self.take("on")
                    out.append(InlineFragment(self.take(kind="name"), self.selection_set()))
                elif self.at("{"):
                    out.append(InlineFragment(None, self.selection_set()))
                else:
                    out.append(Spread(self.take(kind="name")))
                continue
            name = self.take(kind="name")
            alias = None
            if self.at(":"):
                self.take(":")
                alias, name = name, self.take(kind="name")
            args = self.arguments() if self.at("(") else {}
            while self.at("@"):  # directives are accepted and ignored
                self.take("@")
                self.take(kind="name")
                if self.at("("):
                    self.skip_balanced("(", ")")
            subs = self.selection_set() if self.at("{") else []
            out.append(Field(name, alias, args, subs))
        self.take("}")
        return out

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args = {}
        while not self.at(")"):
            key = self.take(kind="name")
            self.take(":")
            args[key] = self.value()
        self.take(")")
        return args

    def value(self) -> Any:
        kind, text = self.peek() or ("", "")
        if text == "$":
            self.take("$")
            return Variable(self.take(kind="name"))
        if kind == "string":
            self.take()
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            self.take()
            return float(text) if any(c in text for c in ".eE") else int(text)
        if text == "[":
            self.take("[")
            items = []
            while not self.at("]"):
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take("{")
            obj = {}
            while not self.at("}"):
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        name = self.take(kind="name")
        return {"true": True, "false": False, "null": None}.get(name, name)


def parse(text: str) -> Document:
    return _Parser(text).document()


def resolve_args(args: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    def sub(value: Any) -> Any:
        if isinstance(value, Variable):
            return variables.get(value.name)
        if isinstance(value, list):
            return [sub(v) for v in value]
        if isinstance(value, dict):
            return {k: sub(v) for k, v in value.items()}
        return value

    return {k: sub(v) for k, v in args.items()}


def project(value: Any, selections: list[Any], doc: Document) -> Any:
    """Keep only the selected fields of `value` (dicts with `__typename`, lists, scalars)."""
    if value is None or not selections:
        return value
    if isinstance(value, list):
        return [project(v, selections, doc) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    _collect(value, selections, doc, out)
    return out


def _collect(value: dict[str, Any], selections: list[Any], doc: Document, out: dict[str, Any]) -> None:
    typename = value.get("__typename")
    for sel in selections:
        if isinstance(sel, Field):
            if sel.name == "__typename":
                out[sel.key] = typename
            else:
                out[sel.key] = project(value.get(sel.name), sel.selections, doc)
        elif isinstance(sel, InlineFragment):
            if sel.type_condition in (None, typename):
                _collect(value, sel.selections, doc, out)
        elif isinstance(sel, Spread):
            if sel.fragment not in doc.fragments:
                raise GraphQLSyntaxError(f'Unknown fragment "{sel.fragment}".')
            type_name, subs = doc.fragments[sel.fragment]
            if type_name == typename or typename is None:
                _collect(value, subs, doc, out)


class FieldError(Exception):
    """A resolver's error for one root field (the rest of the answer still comes back)."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


Resolver = Callable[[dict[str, Any]], Any]


def execute(body: Any, resolvers: dict[str, dict[str, Resolver]]) -> dict[str, Any]:
    """Run one request body `{query, variables, operationName}` against `resolvers[kind][field]`."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "Invalid request: expected a JSON object with a query string"}]}
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return {"errors": [{"message": "Invalid request: variables must be an object"}]}
    try:
        doc = parse(body["query"])
        op = doc.operation(body.get("operationName"))
    except GraphQLSyntaxError as exc:
        return {"errors": [{"message": str(exc)}]}
    table = resolvers.get(op.kind, {})
    fields = [s for s in op.selections if isinstance(s, Field)]
    unknown = [f.name for f in fields if f.name not in table and f.name != "__typename"]
    if unknown:
        type_name = "Mutations" if op.kind == "mutation" else "Queries"
        return {"errors": [{"message": f'Unknown field "{unknown[0]}" on type "{type_name}".'}]}
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for f in fields:
        if f.name == "__typename":
            data[f.key] = "Mutations" if op.kind == "mutation" else "Queries"
            continue
        try:
            data[f.key] = project(table[f.name](resolve_args(f.args, variables)), f.selections, doc)
        except FieldError as exc:
            data[f.key] = None
            errors.append({"message": str(exc), "path": [f.key], "extensions": {"details": exc.details}})
        except GraphQLSyntaxError as exc:
            return {"errors": [{"message": str(exc)}]}
    answer: dict[str, Any] = {"data": data}
    if errors:
        answer["errors"] = errors
    return answer
