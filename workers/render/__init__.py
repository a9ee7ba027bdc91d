"""Renditions: one PDF a person can read of every document (issue 13, section 5)."""
