"""Request parsers for the registry API: a form body must be a form."""

from __future__ import annotations

import io
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser

NOT_A_FORM = "请求体须为表单字段的对象 / the body must be an object of form fields"


class FormObjectParser(MultiPartParser):
    """Multipart as DRF parses it, but a body that carries content and yields no field
    (an array or a bare value wrapped in a boundary) is a 400, not an empty update."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> DataAndFiles:
        raw = stream.read() if stream is not None else b""
        parsed = super().parse(io.BytesIO(raw), media_type, parser_context)
        if not parsed.data and not parsed.files and _content(raw, media_type or ""):
            raise ParseError(NOT_A_FORM)
        return parsed


def _content(raw: bytes, media_type: str) -> bytes:
    """What is left of a multipart body once its boundary lines are taken out."""
    boundary = media_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
    if boundary:
        mark = b"--" + boundary.encode("latin-1", "replace")
        raw = raw.replace(mark + b"--", b"").replace(mark, b"")
    return raw.strip()


PARSERS = [JSONParser, FormParser, FormObjectParser]
