"""Cited answers: question analysis, evidence, composition, citations, and the ``ask`` use case."""
