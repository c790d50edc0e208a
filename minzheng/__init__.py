"""Minzheng 民政 — open civil-affairs platform.

Importing this package stays cheap: no Django setup, and never DuckDB, pandas
or Spark at module load (they are imported inside the functions that use them).
"""

__version__ = "0.1.0"
