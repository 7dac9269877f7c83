"""JSON-safe data from the model's dataclasses and back, checked field by field.

`to_data` / `from_data` let the same objects cross the agent API and the store unchanged; a shape
that does not fit raises DecodeError naming the first bad field, never a TypeError deep inside.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")


class DecodeError(ValueError):
    """Data does not have the shape of the model class it was decoded into."""


def to_data(obj: Any) -> Any:
    """A dataclass (or anything nested in one) as JSON-safe data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(to_data(v) for v in obj)
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _hints_cache:
        _hints_cache[cls] = typing.get_type_hints(cls)
    return _hints_cache[cls]


def from_data(cls: type[T], data: Any) -> T:
    """The inverse of `to_data`; raises DecodeError with the path of the first bad field."""
    return _decode(cls, data, cls.__name__)


def _decode(tp: Any, data: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, data, path)
            except DecodeError as exc:
                errors.append(str(exc))
        raise DecodeError("; ".join(errors) or f"{path}: unexpected {data!r}")
    if origin in (list, frozenset, set, tuple):
        if not isinstance(data, list):
            raise DecodeError(f"{path}: expected a list, got {type(data).__name__}")
        (arg, *_) = typing.get_args(tp) or (Any,)
        items = [_decode(arg, v, f"{path}[{i}]") for i, v in enumerate(data)]
        return origin(items) if origin is not list else items
    if origin is dict:
        if not isinstance(data, dict):
            raise DecodeError(f"{path}: expected an object, got {type(data).__name__}")
        key_tp, val_tp = typing.get_args(tp) or (Any, Any)
        return {_decode(key_tp, k, path): _decode(val_tp, v, f"{path}.{k}") for k, v in data.items()}
    if tp is Any:
        return data
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise DecodeError(f"{path}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise DecodeError(f"{path}: missing {f.name}")
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            raise DecodeError(f"{path}: unknown {tp.__name__} {data!r}") from None
    if tp is datetime:
        if not isinstance(data, str):
            raise DecodeError(f"{path}: expected a timestamp, got {type(data).__name__}")
        try:
            value = datetime.fromisoformat(data)
        except ValueError:
            raise DecodeError(f"{path}: bad timestamp {data!r}") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if tp is timedelta:
        if not isinstance(data, (int, float)) or isinstance(data, bool):
            raise DecodeError(f"{path}: expected seconds, got {type(data).__name__}")
        return timedelta(seconds=data)
    if tp is float:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
        raise DecodeError(f"{path}: expected a number, got {type(data).__name__}")
    if tp in (int, str, bool):
        if type(data) is not tp:
            raise DecodeError(f"{path}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    raise DecodeError(f"{path}: cannot decode into {tp!r}")
