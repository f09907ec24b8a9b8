"""Encryption at rest: EncryptionConfiguration providers, per-object data keys, sealing of payloads."""
