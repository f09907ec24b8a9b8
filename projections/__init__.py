"""Projections: named folds over the log (history, audit, access, ...) with queries on top."""
