"""Redaction burned into the pixels of a fresh PDF, and the release gate that proves it
(docs/decisions/0034)."""
