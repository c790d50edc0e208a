"""Download the statistics report (xlsx, pdf, md) of a division for a period."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils.translation import gettext as _

from minzheng.core.access import AuthedRequest, data_required


@data_required
def report_download(request: AuthedRequest, period: str, fmt: str) -> HttpResponse:
    """``?division=CODE`` (default: the user's own division), ``&public=1`` to protect
    small cells. Errors come back as a bilingual 400 with the reason."""
    from minzheng.stats.figures import ReportError
    from minzheng.stats.report import FORMATS, report_export

    if fmt not in FORMATS:
        return _bad(_("报表格式须为 xlsx、pdf 或 md"), f"format {fmt!r}: use xlsx, pdf or md")
    division = request.GET.get("division")
    if division is None:
        own = request.user.division
        division = own.prefix if own is not None else ""
    try:
        got = report_export(actor=request.user, period=period, division_code=division,
                            fmt=fmt, public=request.GET.get("public") == "1")  # fmt: skip
    except ReportError as err:
        return _bad(err.message, err.message_en)
    resp = HttpResponse(got.content, content_type=got.content_type)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(got.filename)}"
    return resp


def _bad(zh: str, en: str) -> HttpResponse:
    return HttpResponseBadRequest(f"{zh} / {en}", content_type="text/plain; charset=utf-8")


urls = [path("report/<str:period>/<str:fmt>/", report_download, name="report_download")]
