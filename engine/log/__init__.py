"""The log's storage: a small transactional KV contract, its LMDB and in-memory stores, and the
event log (entries, hash chain, indexes and materialized state) written on top of it."""
