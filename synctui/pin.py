"""The admin PIN is kept only as a salted PBKDF2-SHA256 hash: `pbkdf2_sha256$iterations$salt$hex`."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ITERATIONS = 200_000
# A hash outside these bounds is not one `synctui set-pin` makes; a huge count would hang each check.
MIN_ITERATIONS = 1_000
MAX_ITERATIONS = 5_000_000
MAX_PIN_LENGTH = 256  # characters; longer is never a PIN (and is not hashed)


def _encode(pin: str) -> bytes:
    # "surrogatepass": a lone surrogate (from a JSON body) must not raise; it can never match anyway.
    return pin.encode("utf-8", "surrogatepass")


def hash_pin(pin: str, *, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", _encode(pin), bytes.fromhex(salt), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def valid_pin_hash(value: str) -> bool:
    parts = value.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit() or len(parts[1]) > 9:
        return False
    if not MIN_ITERATIONS <= int(parts[1]) <= MAX_ITERATIONS:
        return False
    try:
        salt = bytes.fromhex(parts[2])
        digest = bytes.fromhex(parts[3])
    except ValueError:
        return False
    return bool(salt) and len(digest) == 32


def verify_pin(pin: str, pin_hash: str) -> bool:
    """Whether `pin` matches `pin_hash`, in constant time; slow on purpose (~0.2 s): run it off the
    event loop (`Guard.check_async`)."""
    if not pin or len(pin) > MAX_PIN_LENGTH or not valid_pin_hash(pin_hash):
        return False
    _, iterations, salt, digest = pin_hash.split("$")
    computed = hashlib.pbkdf2_hmac("sha256", _encode(pin), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(computed, bytes.fromhex(digest))
