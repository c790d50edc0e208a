"""部门数据导入: upload a department's file of a declared kind; the import runs as a background
job with progress; the batch page shows counts and the first rejected rows with row, column
and reason. Blank templates per kind."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from minzheng.core.access import AuthedRequest, edit_required
from minzheng.core.paging import paginate
from minzheng.core.xlsx import xlsx_response
from minzheng.monitoring.feeds.jobs import start_feed_import
from minzheng.monitoring.feeds.kinds import KindError, kind, kinds
from minzheng.monitoring.feeds.template import write_feed_template
from minzheng.monitoring.models import FeedBatch
from minzheng.paths import data_dir

SUFFIXES = (".csv", ".xlsx", ".xls", ".parquet")


def _upload_dir() -> Path:
    path = data_dir() / "uploads" / "feeds"
    path.mkdir(parents=True, exist_ok=True)
    return path


@edit_required
def feed_page(request: AuthedRequest) -> HttpResponse:
    """Upload form and the user's own batches (what they imported, when, with what result)."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        name = request.POST.get("kind", "")
        try:
            kind(name)
        except KindError as err:
            messages.error(request, f"{err.message} / {err.message_en}")
            return redirect("monitoring:feeds")
        filename = (upload.name or "") if upload is not None else ""
        if upload is None or Path(filename).suffix.lower() not in SUFFIXES:
            messages.error(
                request,
                _(
                    "请选择 .csv、.xlsx、.xls 或 .parquet 文件 / choose a .csv, .xlsx, .xls or .parquet file"
                ),
            )
            return redirect("monitoring:feeds")
        path = _upload_dir() / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        batch = FeedBatch.objects.create(kind=name, file_name=filename[:255],
                                         actor=request.user)  # fmt: skip
        start_feed_import(batch.pk, name, path, request.user)
        return redirect("monitoring:feed_batch", pk=batch.pk)
    batches = FeedBatch.objects.filter(actor=request.user).order_by("-pk")
    titles = {k.kind: k.title for k in kinds()}
    ctx = {"nav": "feeds", "kinds": kinds(), "titles": titles, **paginate(request, batches)}
    return render(request, "monitoring/feeds.html", ctx)


@edit_required
def feed_batch(request: AuthedRequest, pk: int) -> HttpResponse:
    """One import: progress while it runs (htmx polls), then counts and rejected rows."""
    batch = get_object_or_404(FeedBatch, pk=pk, actor=request.user)
    report = batch.report or {}
    ctx = {
        "nav": "feeds",
        "batch": batch,
        "title": kind(batch.kind).title if batch.kind in {k.kind for k in kinds()} else batch.kind,
        "errors": (report.get("errors") or [])[:200],
        "message": report.get("message"),
        "message_en": report.get("message_en"),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = "monitoring/_feed_batch.html" if partial else "monitoring/feed_batch.html"
    return render(request, template, ctx)


@edit_required
def feed_template(request: AuthedRequest, name: str) -> HttpResponse:
    """The blank template of a kind (headers, instructions, dropdowns, ID column as text)."""
    try:
        k = kind(name)
    except KindError:
        from django.http import Http404

        raise Http404 from None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.xlsx"
        write_feed_template(k.kind, out)
        return xlsx_response(out.read_bytes(), f"{k.title}导入模板.xlsx")
