"""age encryption of a bundle to support's public key, with pyrage (bindings to rage, the Rust age
implementation). Imported only when a bundle is encrypted or an encrypted one is opened."""

from __future__ import annotations

from pathlib import Path

MAGIC = b"age-encryption.org/v1"


def is_encrypted(data: bytes) -> bool:
    return data.startswith(MAGIC)


def _key_text(key: str) -> str:
    """`key` itself, or the first key line of the file it names (comments skipped)."""
    path = Path(key).expanduser()
    if not key.startswith(("age1", "ssh-")) and path.is_file():
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        return next((line for line in lines if line and not line.startswith("#")), "")
    return key.strip()


def recipient(key: str) -> object:
    """support's public key: `key` is an age public key (age1…), an SSH one, or a file holding one;
    ValueError (one line) when it is none of these."""
    import pyrage

    text = _key_text(key)
    try:
        if text.startswith("ssh-"):
            return pyrage.ssh.Recipient.from_str(text)
        return pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError:
        raise ValueError(
            f"--encrypt-to: {key[:80]!r} is not an age public key (age1…) or an SSH public key, "
            "nor a file holding one"
        ) from None


def encrypt(data: bytes, key: str) -> bytes:
    import pyrage

    return pyrage.encrypt(data, [recipient(key)])


def decrypt(data: bytes, identity_file: Path) -> bytes:
    """ValueError (one line) when the file holds no usable key or the key does not open the bundle."""
    import pyrage

    try:
        raw = identity_file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the key file {identity_file}: {exc.strerror or exc}") from None
    try:
        if b"OPENSSH PRIVATE KEY" in raw:
            identities = [pyrage.ssh.Identity.from_buffer(raw)]
        else:
            lines = raw.decode("utf-8", "replace").splitlines()
            identities = [
                pyrage.x25519.Identity.from_str(line.strip()) for line in lines if line.startswith("AGE-")
            ]
    except pyrage.IdentityError:
        raise ValueError(f"{identity_file} does not hold an age or SSH private key") from None
    if not identities:
        raise ValueError(f"{identity_file} does not hold an age private key (AGE-SECRET-KEY-…)")
    try:
        return pyrage.decrypt(data, identities)
    except pyrage.DecryptError:
        raise ValueError(f"the key in {identity_file} does not open this bundle (or it is damaged)") from None
