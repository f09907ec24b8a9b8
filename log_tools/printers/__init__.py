"""Output printers: kubectl tables, describe, JSON and YAML."""
