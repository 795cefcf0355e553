"""Code analysis for editors: lint and format requests answered from the cache or by the executors'
analysis lane (services/executor/analysis.py)."""
