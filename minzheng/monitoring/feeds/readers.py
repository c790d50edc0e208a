"""Reading feed files: the registry importer's readers, plus Parquet (departments export it).

Parquet is read in record batches so a file of millions of rows never sits in memory as
Python objects at once; cells keep their Python types like the spreadsheet readers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from minzheng.registry.importing.readers import Cell, Sheet, UnreadableFile, sheets

FORMATS_ZH = "仅允许导入 xls、xlsx、csv、parquet 格式文件"
FORMATS_EN = "only .xls, .xlsx, .csv and .parquet files can be imported"


def _parquet_rows(pf: object, width: int) -> Iterator[tuple[int, list[Cell]]]:
    rownum = 1
    for batch in pf.iter_batches(batch_size=20_000):  # type: ignore[attr-defined]
        columns = [batch.column(i).to_pylist() for i in range(width)]
        for cells in zip(*columns, strict=True):
            rownum += 1
            if any(c is not None and str(c).strip() for c in cells):
                yield rownum, list(cells)


def _parquet_sheets(path: Path) -> Iterator[Sheet]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise UnreadableFile(
            "无法读取 Parquet 文件，文件可能已损坏", "cannot read the Parquet file"
        ) from exc
    headers = [str(n).strip() for n in pf.schema_arrow.names]
    yield Sheet(path.name, headers, _parquet_rows(pf, len(headers)))


def feed_sheets(path: Path) -> Iterator[Sheet]:
    """Every sheet of ``path`` (.csv, .xlsx, .xls or .parquet) with its header row."""
    if not path.exists():
        raise UnreadableFile(f"文件不存在：{path}", f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet_sheets(path)
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm", ".xls"):
        raise UnreadableFile(FORMATS_ZH, FORMATS_EN)
    return sheets(path)


def estimate_rows(path: Path) -> int:
    """About how many data rows ``path`` holds, cheaply (for progress); 0 when unknown."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if suffix in (".csv", ".txt"):
            with path.open("rb") as fh:
                return max(
                    sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1, 0
                )
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            return max((wb.worksheets[0].max_row or 1) - 1, 0)
    except Exception:  # only a progress hint: the import itself reports unreadable files
        return 0
    return 0
