"""Protobuf request bodies (placeholder until the decoder lands)."""


class ProtobufError(ValueError):
    pass


def decode(raw: bytes):
    raise ProtobufError("protobuf bodies are not supported yet")
