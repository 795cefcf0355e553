"""Collaborative sessions on snippets (issue 18; docs/design/collaboration-and-analysis.md)."""
