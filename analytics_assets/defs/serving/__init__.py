"""Serving: the MongoDB documents the UI and the API read, written from the lake (issue 16)."""
