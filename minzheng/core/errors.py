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
