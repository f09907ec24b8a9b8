"""EncryptionConfiguration (apiserver.config.k8s.io/v1): which resources are encrypted, and how.

Parsed and validated as the API server does at start-up (apiserver/pkg/apis/apiserver/validation,
validation_encryption.go: the same field paths and messages, secrets printed as "REDACTED").
Providers: aesgcm and aescbc (AES keys of 16, 24 or 32 bytes), secretbox (32 bytes) and identity;
the first provider writes, every provider's keys read (key rotation). kms is refused: kubetape
has no KMS plugin. Only core `secrets` and `configmaps` can be encrypted here.
"""

from __future__ import annotations

import base64
import binascii

import attrs

from engine.errors import FieldError

AES_KEY_SIZES = (16, 24, 32)
SECRETBOX_KEY_SIZES = (32,)
ENCRYPTABLE = ("secrets", "configmaps")
_PROVIDERS = ("aesgcm", "aescbc", "secretbox", "identity", "kms")


class EncryptionConfigError(ValueError):
    """A configuration the API server would refuse to start with (message in its words)."""


@attrs.frozen
class Provider:
    kind: str  # aesgcm | aescbc | secretbox | identity
    keys: tuple[tuple[str, bytes], ...] = ()  # (name, secret)


@attrs.frozen
class EncryptionConfig:
    resources: tuple[str, ...]  # plurals in the core group
    providers: tuple[Provider, ...]

    @property
    def writer(self) -> Provider:
        return self.providers[0]

    def key(self, kind: str, name: str) -> bytes | None:
        for p in self.providers:
            if p.kind == kind:
                for n, k in p.keys:
                    if n == name:
                        return k
        return None


def _go_ints(sizes) -> str:
    return "[" + " ".join(str(s) for s in sizes) + "]"


def parse_config(doc) -> EncryptionConfig:
    if not isinstance(doc, dict):
        raise EncryptionConfigError("error decoding encryption provider configuration file: not a YAML object")
    if doc.get("kind") != "EncryptionConfiguration" or doc.get("apiVersion") not in ("apiserver.config.k8s.io/v1",):
        raise EncryptionConfigError(
            f'error decoding encryption provider configuration file: no kind "{doc.get("kind")}" is registered for version '
            f'"{doc.get("apiVersion")}"' if doc.get("kind") else "error decoding encryption provider configuration file: Object 'Kind' is missing")
    errs: list[FieldError] = []
    entries = doc.get("resources") or []
    if not isinstance(entries, list) or not entries:
        raise EncryptionConfigError(_aggregate([FieldError("Required", "resources", None, "at least one resources is required")]))
    chosen: tuple[str, ...] = ()
    providers: tuple[Provider, ...] = ()
    for i, conf in enumerate(entries):
        rpath, ppath = f"resources[{i}].resources", f"resources[{i}].providers"
        conf = conf if isinstance(conf, dict) else {}
        res = [r for r in conf.get("resources") or [] if isinstance(r, str)]
        if not res:
            errs.append(FieldError("Required", rpath, None, f"at least one {rpath} is required"))
        if len(set(res)) != len(res):
            errs.append(FieldError("Invalid", rpath, res, "the same resource cannot be specified multiple times"))
        for j, r in enumerate(res):
            if r.lower() != r:
                errs.append(FieldError("Invalid", f"{rpath}[{j}]", r, "resource name should not contain capital letters"))
            elif r == "*":
                errs.append(FieldError("Invalid", f"{rpath}[{j}]", r, "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources"))
            elif r.rstrip(".") not in ENCRYPTABLE:
                errs.append(FieldError("Invalid", f"{rpath}[{j}]", r, "kubetape encrypts only secrets and configmaps at rest"))
        plist = conf.get("providers") or []
        if not plist:
            errs.append(FieldError("Required", ppath, None, f"at least one {ppath} is required"))
        parsed = []
        for j, p in enumerate(plist):
            path = f"{ppath}[{j}]"
            kinds = [k for k in (p or {}) if k in _PROVIDERS] if isinstance(p, dict) else []
            if not kinds:
                errs.append(FieldError("Invalid", path, p, "provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity"))
                continue
            if len(kinds) > 1:
                errs.append(FieldError("Invalid", path, p, "more than one provider specified in a single element, should split into different list elements"))
                continue
            kind = kinds[0]
            if kind == "kms":
                errs.append(FieldError("Invalid", f"{path}.kms", "", "kubetape has no KMS plugin: use aesgcm, aescbc, secretbox or identity"))
                continue
            if kind == "identity":
                parsed.append(Provider("identity"))
                continue
            sizes = SECRETBOX_KEY_SIZES if kind == "secretbox" else AES_KEY_SIZES
            kpath = f"{path}.{kind}.keys"
            keys = ((p[kind] or {}).get("keys") if isinstance(p[kind], dict) else None) or []
            if not keys:
                errs.append(FieldError("Required", kpath, None, "at least one keys is required"))
                continue
            good = []
            for k, key in enumerate(keys):
                key = key if isinstance(key, dict) else {}
                name, secret = key.get("name") or "", key.get("secret") or ""
                if not name:
                    errs.append(FieldError("Required", f"{kpath}[{k}].name", None, "name is a mandatory field for a key"))
                if not secret:
                    errs.append(FieldError("Required", f"{kpath}[{k}].secret", None, "secret is a mandatory field for a key"))
                    continue
                try:
                    raw = base64.b64decode(secret, validate=True)
                except (binascii.Error, ValueError):
                    errs.append(FieldError("Invalid", f"{kpath}[{k}].secret", "REDACTED", "secrets must be base64 encoded"))
                    continue
                if len(raw) not in sizes:
                    errs.append(FieldError("Invalid", f"{kpath}[{k}].secret", "REDACTED",
                                           f"secret is not of the expected length, got {len(raw)}, expected one of {_go_ints(sizes)}"))
                    continue
                good.append((name, raw))
            parsed.append(Provider(kind, tuple(good)))
        if not chosen and res:
            chosen, providers = tuple(r.rstrip(".") for r in res), tuple(parsed)
        elif res:  # several resource groups: kubetape keeps one provider list for all of them
            same = tuple(parsed) == providers
            if not same:
                errs.append(FieldError("Invalid", rpath, res, "kubetape uses one provider list for every encrypted resource: "
                                                              "list them all in resources[0].resources"))
            chosen += tuple(r.rstrip(".") for r in res)
    if errs:
        raise EncryptionConfigError(_aggregate(errs))
    return EncryptionConfig(chosen, providers)


def _aggregate(errs: list[FieldError]) -> str:
    msgs = [e.message() for e in errs]
    return msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"


def load_config_text(text: str) -> EncryptionConfig:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EncryptionConfigError(f"error decoding encryption provider configuration file: {str(exc).splitlines()[0]}") from None
    return parse_config(doc)
