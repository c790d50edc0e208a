"""One base for errors that users read: a machine code and the reason in Chinese and English."""

from __future__ import annotations


class BilingualError(ValueError):
    """``message`` (Chinese, shown first) and ``message_en``; ``code`` names the kind."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_en = message_en

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message_en!r})"


DISK_FULL = (
    "数据目录所在磁盘已满，导入已停止；已提交的部分完整保留，腾出空间后重新导入即可（不会重复）",
    "the data directory's disk is full; the import stopped with every committed part whole — "
    "free some space and run it again (nothing is imported twice)",
)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (SQLite's, PostgreSQL's or the OS's) says the disk is full."""
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return "disk is full" in text or "no space left" in text or "could not extend file" in text
