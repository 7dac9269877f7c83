"""Rejections an adapter left unexplained (category UNKNOWN), put to the plugins' explainers
(`synctui_explain_rejection`) before they are served: a site plugin can explain its own business
rules on top of any adapter. The backend's raw text and HTTP status stay as the adapter read them."""

from __future__ import annotations

from dataclasses import replace

from synctui.model import Category, EntryDetail, EntryPage, QueueEntry, Rejection
from synctui.plugins import Registry


def explain(registry: Registry, kind: str, rejection: Rejection | None) -> Rejection | None:
    if rejection is None or rejection.category is not Category.UNKNOWN:
        return rejection
    answer = registry.explain(kind, rejection.raw or rejection.message, rejection.status)
    if answer is None:
        return rejection
    return replace(
        answer,
        raw=answer.raw or rejection.raw,
        status=answer.status if answer.status is not None else rejection.status,
        code=answer.code or rejection.code,
    )


def _entry(registry: Registry, kind: str, entry: QueueEntry) -> QueueEntry:
    explained = explain(registry, kind, entry.rejection)
    return entry if explained is entry.rejection else replace(entry, rejection=explained)


def explain_page(registry: Registry, kind: str, page: EntryPage) -> EntryPage:
    return replace(page, entries=[_entry(registry, kind, e) for e in page.entries])


def explain_detail(registry: Registry, kind: str, detail: EntryDetail) -> EntryDetail:
    return replace(detail, entry=_entry(registry, kind, detail.entry))
