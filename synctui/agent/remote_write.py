"""The Prometheus remote-write 1.0 wire: a protobuf `WriteRequest`, snappy block-compressed.

Imported only by an agent configured to push (and by the fleet generator of the benchmark): protobuf
and cramjam cost memory an idle agent does not pay. The message types are built from a descriptor
(the four messages of prometheus/prompb that remote write 1.0 uses), so no generated code has to match
the installed protobuf runtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}


@dataclass(frozen=True)
class Sample:
    """One value of one series at its own time (milliseconds since the epoch)."""

    labels: Mapping[str, str]  # with "__name__"
    value: float
    timestamp_ms: int


def _message_classes() -> tuple[type, type, type, type]:
    F = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="synctui/prompb.proto", package="prometheus", syntax="proto3"
    )

    def message(name: str, *fields: tuple[str, int, int, str | None, bool]) -> None:
        msg = proto.message_type.add(name=name)
        for field_name, number, kind, type_name, repeated in fields:
            added = msg.field.add(
                name=field_name,
                number=number,
                type=kind,
                label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL,
            )
            if type_name:
                added.type_name = type_name

    message("Label", ("name", 1, F.TYPE_STRING, None, False), ("value", 2, F.TYPE_STRING, None, False))
    message("Sample", ("value", 1, F.TYPE_DOUBLE, None, False), ("timestamp", 2, F.TYPE_INT64, None, False))
    message(
        "TimeSeries",
        ("labels", 1, F.TYPE_MESSAGE, ".prometheus.Label", True),
        ("samples", 2, F.TYPE_MESSAGE, ".prometheus.Sample", True),
    )
    message("WriteRequest", ("timeseries", 1, F.TYPE_MESSAGE, ".prometheus.TimeSeries", True))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    names = ("WriteRequest", "TimeSeries", "Label", "Sample")
    return tuple(
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"prometheus.{n}")) for n in names
    )


WriteRequest, TimeSeries, Label, Sample_ = _message_classes()


def encode(samples: Iterable[Sample]) -> bytes:
    """The uncompressed WriteRequest: one series per label set, its samples in time order."""
    series: dict[tuple[tuple[str, str], ...], list[Sample]] = {}
    for sample in samples:
        series.setdefault(tuple(sorted(sample.labels.items())), []).append(sample)
    request = WriteRequest()
    for labels, points in series.items():
        ts = request.timeseries.add()
        ts.labels.extend(Label(name=k, value=v) for k, v in labels)  # sorted by name, as the spec asks
        ts.samples.extend(
            Sample_(value=p.value, timestamp=p.timestamp_ms)
            for p in sorted(points, key=lambda p: p.timestamp_ms)
        )
    return request.SerializeToString()


def compress(raw: bytes) -> bytes:
    """Snappy block format (not the framed one), as remote write requires."""
    return bytes(cramjam.snappy.compress_raw(raw))


def decompress(body: bytes) -> bytes:
    return bytes(cramjam.snappy.decompress_raw(body))


def decode(raw: bytes) -> list[Sample]:
    """The samples of an uncompressed WriteRequest (for tests and the buffer's own checks)."""
    request = WriteRequest()
    request.ParseFromString(raw)
    return [
        Sample({label.name: label.value for label in ts.labels}, point.value, point.timestamp)
        for ts in request.timeseries
        for point in ts.samples
    ]
