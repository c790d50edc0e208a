"""The rule language: line-aware YAML, schema, expression type checks, the loader."""
