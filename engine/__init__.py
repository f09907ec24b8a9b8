"""kubetape engine: records, codec, log stores, request pipeline, runtime and actors."""
