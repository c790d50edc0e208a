"""Small vectorised string helpers on top of pyarrow.compute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Strings: TypeAlias = pa.Array | pa.Scalar | str


def pick(values: Sequence[str] | pa.Array, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as a string array."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def digits(values: np.ndarray, width: int = 0) -> pa.Array:
    """Non-negative integers as decimal strings, left-padded with zeros to ``width``."""
    out = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(out, width, "0") if width else out


def concat(*parts: Strings) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    items = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*items, "")


def fen_to_yuan(fen: np.ndarray) -> pa.Array:
    """Non-negative integer fen → "yuan.ff" strings (exact, no floats)."""
    fen = np.asarray(fen, dtype=np.int64)
    if fen.size and fen.min() < 0:
        raise ValueError("negative amounts are not expected")
    return concat(digits(fen // 100), ".", digits(fen % 100, 2))
