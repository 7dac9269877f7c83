"""A field worker registering households: writes OpLog rows into the local SQLite file, as the app's
`createOplogEntry` would (one row per local save), through its own connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from ..oplog import create_oplog

INSERT = (
    "INSERT INTO oplog (entityString, entityType, operation, clientReferenceId, serverGeneratedId, createdBy, "
    "createdAt, rowVersion) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

GIVEN = ("Amina", "Joao", "Fatima", "Carlos", "Ines", "Tomas", "Luisa", "Abdul", "Rosa", "Pedro")
FAMILY = ("Machava", "Nhantumbo", "Cossa", "Mondlane", "Sitoe", "Bila", "Tembe", "Mabunda")


class FieldWorker:
    def __init__(
        self,
        oplog: Path,
        user_uuid: str = "fw-0001",
        tenant_id: str = "default",
        project_id: str = "PRJ-LLIN-2026",
        seed: int | None = None,
    ) -> None:
        self.path = oplog
        self.user = user_uuid
        self.tenant = tenant_id
        self.project = project_id
        self.rng = random.Random(seed)
        if not oplog.exists():
            create_oplog(oplog)
        self._conn = sqlite3.connect(oplog, timeout=5.0, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._last_ms = 0
        self.households: list[str] = []

    def close(self) -> None:
        self._conn.close()

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _ms(self) -> int:
        # Strictly increasing createdAt, as saves on one device are.
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    def _audit(self, ms: int) -> dict[str, Any]:
        return {
            "createdBy": self.user,
            "lastModifiedBy": self.user,
            "createdTime": ms,
            "lastModifiedTime": ms,
        }

    def _base(self, cref: str, ms: int) -> dict[str, Any]:
        return {
            "clientReferenceId": cref,
            "tenantId": self.tenant,
            "rowVersion": 1,
            "isDeleted": False,
            "source": "synctui-fieldworker",
            "clientAuditDetails": self._audit(ms),
            "auditDetails": self._audit(ms),
        }

    def _row(self, etype: str, op: str, entity: dict[str, Any], ms: int) -> tuple[Any, ...]:
        cref = entity["clientReferenceId"]
        server_id, version = None, 1
        if op != "create":
            known = self._conn.execute(
                "SELECT serverGeneratedId, rowVersion FROM oplog WHERE entityType = ? AND clientReferenceId = ? "
                "AND serverGeneratedId IS NOT NULL ORDER BY createdAt DESC LIMIT 1",
                (etype, cref),
            ).fetchone()
            if known:
                server_id, version = known[0], known[1]
                entity = {**entity, "id": server_id, "rowVersion": version}
        return (json.dumps(entity), etype, op, cref, server_id, self.user, ms, version)

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(INSERT, rows)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def household_rows(
        self, members: int | None = None, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]:
        """One registration: household, its individuals and memberships, the beneficiary, a delivery."""
        members = members if members is not None else self.rng.randint(1, 5)
        family = self.rng.choice(FAMILY)
        ms = self._ms()
        hh_cref = self._uuid()
        household = {
            **self._base(hh_cref, ms),
            "memberCount": members,
            "address": {"tenantId": self.tenant, "type": "PERMANENT", "locality": {"code": "LOC-14"}},
        }
        if tenant_id is not None:
            household["tenantId"] = tenant_id
        rows = [self._row("household", "create", household, ms)]
        individuals = []
        for i in range(members):
            ms = self._ms()
            ind_cref = self._uuid()
            individuals.append(ind_cref)
            individual = {
                **self._base(ind_cref, ms),
                "name": {"givenName": self.rng.choice(GIVEN), "familyName": family},
                "gender": self.rng.choice(("MALE", "FEMALE")),
                "dateOfBirth": f"{self.rng.randint(1950, 2024)}-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}",
                "identifiers": [
                    {"identifierType": "UNIQUE_BENEFICIARY_ID", "identifierId": self._uuid()[:8]}
                ],
            }
            rows.append(self._row("individual", "create", individual, ms))
            ms = self._ms()
            member = {
                **self._base(self._uuid(), ms),
                "householdClientReferenceId": hh_cref,
                "individualClientReferenceId": ind_cref,
                "isHeadOfHousehold": i == 0,
            }
            rows.append(self._row("householdMember", "create", member, ms))
        ms = self._ms()
        pb_cref = self._uuid()
        beneficiary = {
            **self._base(pb_cref, ms),
            "projectId": self.project,
            "beneficiaryClientReferenceId": hh_cref,
            "dateOfRegistration": ms,
        }
        rows.append(self._row("projectBeneficiary", "create", beneficiary, ms))
        ms = self._ms()
        task = {
            **self._base(self._uuid(), ms),
            "projectId": self.project,
            "projectBeneficiaryClientReferenceId": pb_cref,
            "status": "DELIVERED",
            "resources": [
                {"productVariantId": "PVAR-LLIN", "quantity": max(1, members // 2), "isDelivered": True}
            ],
        }
        rows.append(self._row("task", "create", task, ms))
        self.households.append(hh_cref)
        return rows

    def register_household(self, members: int | None = None, tenant_id: str | None = None) -> str:
        rows = self.household_rows(members, tenant_id)
        self.write(rows)
        return rows[0][3]

    def _latest_household(self, cref: str) -> dict[str, Any]:
        """The household as its latest OpLog row saved it. Raises KeyError for an unknown one."""
        text = self._conn.execute(
            "SELECT entityString FROM oplog WHERE entityType = 'household' AND clientReferenceId = ? "
            "ORDER BY createdAt DESC LIMIT 1",
            (cref,),
        ).fetchone()
        if text is None:
            raise KeyError(cref)
        return json.loads(text[0])

    def update_household(self, cref: str, member_count: int | None = None) -> None:
        """An edit of a household already saved: a new `update` row with the whole entity."""
        entity = self._latest_household(cref)
        ms = self._ms()
        entity["memberCount"] = member_count if member_count is not None else self.rng.randint(1, 8)
        entity["clientAuditDetails"] = {**entity.get("clientAuditDetails", {}), "lastModifiedTime": ms}
        self.write([self._row("household", "update", entity, ms)])

    def delete_household(self, cref: str) -> None:
        entity = {**self._latest_household(cref), "isDeleted": True}
        ms = self._ms()
        self.write([self._row("household", "delete", entity, ms)])

    def step(self) -> None:
        """One thing a worker does: mostly registrations, sometimes an edit of an earlier household."""
        if self.households and self.rng.random() < 0.2:
            self.update_household(self.rng.choice(self.households))
        else:
            self.register_household()

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Work until `stop` is set, one step every `interval` seconds (with some jitter)."""
        while not stop.is_set():
            self.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval * self.rng.uniform(0.5, 1.5))
