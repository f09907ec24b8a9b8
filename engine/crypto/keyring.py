"""Keys outside the log: the key-encryption keys (KEKs) of the EncryptionConfiguration, and one data
key (DEK) per encrypted object, wrapped by the KEK of the provider that writes.

Why envelope keys: the log is immutable, so destroying an object's history means making its
ciphertext unreadable. Each Secret gets its own random 32-byte DEK; its payloads (request bodies,
decided values, every version of the object) are encrypted under it, and the DEK is kept wrapped
by a KEK in `DATA/encryption/datakeys.json`, never in the log. `forget` deletes the DEK: every
entry of that object stays in the chain, byte for byte, and reads as redacted. Rotation is cheap:
a new first provider wraps new DEKs and re-wraps old ones when they are next used (or all at once
with `rewrap`), while every configured key still unwraps.

Ciphers come from `cryptography` (AES-GCM, AES-CBC with PKCS#7 as upstream's aescbc) and PyNaCl
(XSalsa20-Poly1305 secretbox). Nonces and DEKs are random (os.urandom): a DEK derived from
anything kept would defeat crypto-shredding, and random 96-bit GCM nonces are safe far beyond
the number of messages one object's key ever sees. So a log written with encryption on is not
byte-reproducible; golden logs run without it, and the default path seals nothing.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile

from engine.crypto.config import EncryptionConfig


class DecryptError(Exception):
    """The payload cannot be decrypted (its data key was forgotten, or its KEK is not configured)."""


# --- ciphers -------------------------------------------------------------------------------------


def encrypt(kind: str, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    if kind == "aesgcm":
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        return nonce + AESGCM(key).encrypt(nonce, plaintext, aad or None)
    if kind == "aescbc":
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        data = padder.update(plaintext) + padder.finalize()
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return iv + enc.update(data) + enc.finalize()
    if kind == "secretbox":
        from nacl.secret import SecretBox

        return bytes(SecretBox(key).encrypt(plaintext))
    raise ValueError(f"unknown provider {kind}")


def decrypt(kind: str, key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    try:
        if kind == "aesgcm":
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            return AESGCM(key).decrypt(blob[:12], blob[12:], aad or None)
        if kind == "aescbc":
            from cryptography.hazmat.primitives import padding
            from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

            dec = Cipher(algorithms.AES(key), modes.CBC(blob[:16])).decryptor()
            data = dec.update(blob[16:]) + dec.finalize()
            unpadder = padding.PKCS7(128).unpadder()
            return unpadder.update(data) + unpadder.finalize()
        if kind == "secretbox":
            from nacl.secret import SecretBox

            return bytes(SecretBox(key).decrypt(blob))
    except Exception as exc:  # InvalidTag, CryptoError, bad padding: all mean "not readable with this key"
        raise DecryptError(f"{kind}: {type(exc).__name__}") from None
    raise DecryptError(f"unknown provider {kind}")


# --- data keys -----------------------------------------------------------------------------------


class Keyring:
    """The configured KEKs plus the wrapped DEKs (a JSON file in the data folder, or memory)."""

    def __init__(self, config: EncryptionConfig, path: str | None = None):
        self.config = config
        self.path = path  # datakeys.json, or None for an in-memory cluster
        self._deks: dict[str, dict] = {}  # dek id -> {object, provider, key, wrapped}
        self._current: dict[str, str] = {}  # object id -> dek id
        self._plain: dict[str, bytes] = {}  # unwrapped cache
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            self._deks = doc.get("deks", {})
            self._current = doc.get("current", {})

    @property
    def resources(self) -> tuple[str, ...]:
        return self.config.resources

    def seals(self, group: str, resource: str) -> bool:
        return group == "" and resource in self.config.resources and self.config.writer.kind != "identity"

    @property
    def write_kind(self) -> str:
        return self.config.writer.kind

    def _save(self) -> None:
        if not self.path:
            return
        d = os.path.dirname(self.path)
        os.makedirs(d, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".datakeys-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"deks": self._deks, "current": self._current}, f, sort_keys=True, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def _wrap(self, dek_id: str, dek: bytes) -> dict:
        w = self.config.writer
        name, kek = w.keys[0]
        return {"provider": w.kind, "key": name, "wrapped": base64.b64encode(encrypt(w.kind, kek, dek, dek_id.encode())).decode()}

    def write_dek(self, object_id: str, seq: int) -> tuple[str, bytes]:
        """The DEK new ciphertext of `object_id` uses (made on first use, re-wrapped after rotation)."""
        dek_id = self._current.get(object_id)
        if dek_id is not None and dek_id in self._deks:
            dek = self.read_dek(dek_id)
            rec = self._deks[dek_id]
            w = self.config.writer
            if dek is not None:
                if (rec["provider"], rec["key"]) != (w.kind, w.keys[0][0]):
                    self._deks[dek_id] = {"object": object_id, **self._wrap(dek_id, dek)}
                    self._save()
                return dek_id, dek
        dek_id = f"{object_id}@{seq}"
        dek = os.urandom(32)
        self._deks[dek_id] = {"object": object_id, **self._wrap(dek_id, dek)}
        self._current[object_id] = dek_id
        self._plain[dek_id] = dek
        self._save()
        return dek_id, dek

    def read_dek(self, dek_id: str) -> bytes | None:
        if dek_id in self._plain:
            return self._plain[dek_id]
        rec = self._deks.get(dek_id)
        if rec is None:
            return None
        kek = self.config.key(rec["provider"], rec["key"])
        if kek is None:
            return None
        dek = decrypt(rec["provider"], kek, base64.b64decode(rec["wrapped"]), dek_id.encode())
        self._plain[dek_id] = dek
        return dek

    def why_unreadable(self, dek_id: str) -> str:
        rec = self._deks.get(dek_id)
        if rec is None:
            return "data key destroyed (ktape secrets forget)"
        return f"key-encryption key {rec['provider']}:{rec['key']} is not in the encryption configuration"

    def dek_ids(self, object_id: str) -> list[str]:
        return sorted(k for k, rec in self._deks.items() if rec.get("object") == object_id)

    def forget(self, object_id: str) -> list[str]:
        """Destroy every DEK `object_id` ever had; returns their ids."""
        gone = self.dek_ids(object_id)
        for k in gone:
            del self._deks[k]
            self._plain.pop(k, None)
        self._current.pop(object_id, None)
        if gone:
            self._save()
        return gone

    def rewrap(self) -> int:
        """Re-wrap every readable DEK with the first provider's first key; returns how many changed."""
        w = self.config.writer
        if w.kind == "identity":
            return 0
        n = 0
        for dek_id, rec in list(self._deks.items()):
            if (rec["provider"], rec["key"]) == (w.kind, w.keys[0][0]):
                continue
            dek = self.read_dek(dek_id)
            if dek is None:
                continue
            self._deks[dek_id] = {"object": rec["object"], **self._wrap(dek_id, dek)}
            n += 1
        if n:
            self._save()
        return n


ENC_DIR = "encryption"
CONFIG_FILE = "config.yaml"
DEKS_FILE = "datakeys.json"


def load_keyring(data_dir: str) -> Keyring | None:
    """The keyring of a data folder, or None when it has no encryption configuration."""
    cfg = os.path.join(data_dir, ENC_DIR, CONFIG_FILE)
    if not os.path.exists(cfg):
        return None
    from engine.crypto.config import load_config_text

    with open(cfg, encoding="utf-8") as f:
        config = load_config_text(f.read())
    return Keyring(config, os.path.join(data_dir, ENC_DIR, DEKS_FILE))


def install_config(data_dir: str, text: str) -> EncryptionConfig:
    """Validate an EncryptionConfiguration and keep it (mode 0600) in the data folder."""
    from engine.crypto.config import load_config_text

    config = load_config_text(text)
    d = os.path.join(data_dir, ENC_DIR)
    os.makedirs(d, mode=0o700, exist_ok=True)
    path = os.path.join(d, CONFIG_FILE)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".config-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return config
