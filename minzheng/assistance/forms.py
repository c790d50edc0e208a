"""Reading what people type and upload on the assistance pages: dates, months, amounts in
yuan, and spreadsheet uploads. Every refusal is a :class:`BilingualError` the page shows."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from minzheng.core.errors import BilingualError

UPLOAD_SUFFIXES = (".xlsx", ".xls", ".csv")
UPLOAD_LIMIT = 10 * 1024 * 1024


class InputError(BilingualError):
    pass


def day(text: str | None, *, default: dt.date | None = None) -> dt.date:
    """``2024-10-01`` (blank: ``default``, else refused)."""
    text = (text or "").strip()
    if not text and default is not None:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            "date", f"日期 {text!r} 格式须为 YYYY-MM-DD", f"date {text!r} must be YYYY-MM-DD"
        ) from None


def month(text: str | None) -> dt.date:
    """``2024-10`` (or a full date) → the first day of that month."""
    text = (text or "").strip()
    try:
        return dt.date.fromisoformat(text[:7] + "-01")
    except ValueError:
        raise InputError(
            "month", f"月份 {text!r} 格式须为 YYYY-MM", f"month {text!r} must be YYYY-MM"
        ) from None


def yuan(text: str | None) -> int | None:
    """An amount typed in yuan → fen (blank: ``None``); at most two decimals, not negative."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        raise InputError("amount", "金额须为数字", "the amount must be a number") from None
    if not value.is_finite() or value < 0 or value > 10**9 or value != value.to_integral_value():
        raise InputError("amount", "金额须为非负数且精确到分", "amount: ≥ 0, exact to the fen")
    return int(value)


def required(text: str | None, zh: str, en: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InputError("required", f"请填写{zh}", f"{en} is required")
    return text


def saved_upload(upload: Any) -> Path:
    """An uploaded spreadsheet written to a private temporary file (its suffix kept, since
    the readers go by it); refused if missing, of another type or over 10 MB."""
    if upload is None:
        raise InputError("no_file", "请选择要上传的文件", "choose a file to upload")
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(
            "file_type", "仅允许导入 xls、xlsx、csv 格式文件", "only .xls, .xlsx or .csv files"
        )
    if upload.size > UPLOAD_LIMIT:
        raise InputError("too_large", "文件超过 10 MB", "the file is larger than 10 MB")
    path = Path(tempfile.mkdtemp(prefix="mz-upload-")) / f"upload{suffix}"
    with path.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return path
