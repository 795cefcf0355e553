"""Code analysis (linters, formatters) run in sandboxes: the model, the tool table and the parsers
the gateway and the executors share (docs/design/collaboration-and-analysis.md, section 2)."""
