"""Synthetic population generator for the low-income registry (no real personal data).

``generate()`` draws households, persons, incomes and assets as pyarrow tables,
deterministically from a seed and vectorised with NumPy; ``write()`` saves them as
Parquet (and CSV) with a manifest; ``write_import_csv()`` writes the registry import file.
:mod:`minzheng.synth.feeds` adds department feeds with noise and their ground truth.
Importing this package is cheap: NumPy and pyarrow load on first use.
"""

from minzheng.synth.generate import Population, generate, write, write_import_csv

__all__ = ["Population", "generate", "write", "write_import_csv"]
