"""Realistic SanteDB model objects for queue payloads and the two copies of each record.

Objects follow the SanteDB JSON view model: `$type`, lower-camel keys, GUID keys in lower case (as
Newtonsoft writes them), `versionSequence`, `etag`. A few payloads are XML, as the dCDR stores them on
disk (`datastream/<dataFile>`).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

GIVEN = ["Amina", "Joseph", "Grace", "Tendai", "Fatuma", "Samuel", "Neema", "Baraka", "Rehema", "Peter"]
FAMILY = ["Mwangi", "Otieno", "Banda", "Phiri", "Mushi", "Kamau", "Okello", "Moyo", "Nkosi", "Said"]
FACILITY = "8f1c2b64-1d3e-4a57-9b0f-2f6c7d8e9a10"
ANTIGENS = [
    ("BCG", "b0c4ec7e-1c6a-4f1a-9a1d-3c5f2e8b7d01"),
    ("OPV0", "79a0e1c9-5b1e-4c2a-8f6d-0a4b3c2d1e02"),
    ("PENTA1", "c3e7a8b1-2d4f-4e6a-9b8c-7d6e5f4a3b03"),
    ("MEASLES1", "0f2d4c6b-8a9e-4b1c-a3d5-e7f9a1b3c504"),
]


def iso(dt: datetime) -> str:
    """A DateTimeOffset as Newtonsoft writes it: ISO 8601, offset, trailing zeros of the fraction trimmed."""
    text = dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{dt.microsecond:06d}".rstrip("0")
    return f"{text}.{frac}+00:00" if frac else f"{text}+00:00"


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def patient(rng: random.Random, key: str, version: int, now: datetime) -> dict[str, Any]:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    birth = now - timedelta(days=rng.randint(30, 365 * 40))
    return {
        "$type": "Patient",
        "id": key,
        "version": guid(rng),
        "versionSequence": version,
        "etag": guid(rng).replace("-", ""),
        "classConcept": "bacd9c6f-3fa9-481e-9636-37457962804d",
        "determinerConcept": "f29f08de-78a7-4a5e-aeaf-7b545ba19a09",
        "statusConcept": "c8064cbd-fa06-4530-b430-1a52f1530c27",
        "dateOfBirth": birth.strftime("%Y-%m-%dT00:00:00+00:00"),
        "dateOfBirthPrecision": "Day",
        "genderConceptModel": {"mnemonic": rng.choice(["Male", "Female"])},
        "name": {"OfficialRecord": [{"component": {"Given": [given], "Family": [family]}}]},
        "identifier": {"NATIONAL_HEALTH_ID": [{"value": f"NHID-{rng.randint(100000, 999999)}"}]},
        "relationship": {"DedicatedServiceDeliveryLocation": [{"target": FACILITY}]},
        "modifiedOn": iso(now),
    }


def act(rng: random.Random, key: str, version: int, now: datetime, type_: str) -> dict[str, Any]:
    antigen, material = rng.choice(ANTIGENS)
    body: dict[str, Any] = {
        "$type": type_,
        "id": key,
        "version": guid(rng),
        "versionSequence": version,
        "etag": guid(rng).replace("-", ""),
        "moodConcept": "ec74541f-87c4-4327-a4b9-97f325501747",
        "statusConcept": "afc33800-8225-4061-b168-bacc09cdbae3",
        "actTime": iso(now - timedelta(minutes=rng.randint(1, 600))),
        "participation": {
            "Location": [{"player": FACILITY}],
            "Consumable": [{"player": material, "quantity": -1}],
        },
        "modifiedOn": iso(now),
    }
    if type_ == "SubstanceAdministration":
        body.update(
            {
                "doseSequence": rng.randint(0, 3),
                "doseQuantity": 0.5,
                "route": "d594f99f-0151-41a0-a359-282ab54683a1",
                "typeConceptModel": {"mnemonic": f"VaccinationType-{antigen}"},
            }
        )
    elif type_ == "QuantityObservation":
        body.update({"value": round(rng.uniform(2.5, 25.0), 1), "unitOfMeasureModel": {"mnemonic": "kg"}})
    return body


def entity(rng: random.Random, key: str, version: int, now: datetime, type_: str) -> dict[str, Any]:
    return {
        "$type": type_,
        "id": key,
        "version": guid(rng),
        "versionSequence": version,
        "etag": guid(rng).replace("-", ""),
        "statusConcept": "c8064cbd-fa06-4530-b430-1a52f1530c27",
        "name": {"Assigned": [{"component": {"$other": [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"]}}]},
        "modifiedOn": iso(now),
    }


def bundle(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$type": "Bundle",
        "resource": items,
        "focal": [items[0]["id"]] if items else [],
        "offset": 0,
        "count": len(items),
        "totalResults": len(items),
    }


def to_xml(obj: dict[str, Any]) -> str:
    """A small XML rendering of an object, in the SanteDB model namespace (how the dCDR stores it)."""
    type_ = obj.get("$type", "IdentifiedData")
    lines = [f'<{type_} xmlns="http://santedb.org/model">']
    for key in ("id", "versionSequence", "statusConcept", "dateOfBirth", "actTime", "modifiedOn"):
        if key in obj:
            lines.append(f"  <{key}>{obj[key]}</{key}>")
    lines.append(f"</{type_}>")
    return "\n".join(lines)
