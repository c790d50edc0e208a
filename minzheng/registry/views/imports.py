"""The registry import page: template download, upload, progress, result, error report."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from minzheng.core.access import AuthedRequest, edit_required
from minzheng.core.xlsx import xlsx_response
from minzheng.paths import data_dir
from minzheng.registry.forms import ImportForm
from minzheng.registry.importing.errors import error_report_xlsx
from minzheng.registry.importing.jobs import start_import
from minzheng.registry.importing.template import write_template
from minzheng.registry.models import ImportBatch


def _upload_dir() -> Path:
    path = data_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@edit_required
def import_page(request: AuthedRequest) -> HttpResponse:
    """批量导入: drag a file in; the import runs in the background with progress."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        path = _upload_dir() / f"{uuid.uuid4().hex}{Path(f.name).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in f.chunks():
                out.write(chunk)
        batch = ImportBatch.objects.create(
            file_name=f.name,
            sha256="",
            actor=request.user,
            status="queued",
            report={"path": path.name},
        )
        start_import(batch.pk, path, request.user)
        return redirect("registry:import_status", pk=batch.pk)
    recent = ImportBatch.objects.filter(actor=request.user).order_by("-pk")[:10]
    return render(
        request, "registry/import.html", {"nav": "import", "form": form, "recent": recent}
    )


def _own_batch(request: AuthedRequest, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch, pk=pk, actor=request.user)


@edit_required
def import_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """Progress while running (htmx polls this), counts and errors when done."""
    batch = _own_batch(request, pk)
    partial = request.headers.get("HX-Request") == "true"
    template = "registry/_import_status.html" if partial else "registry/import_status.html"
    return render(
        request, template, {"nav": "import", "batch": batch, "report": batch.report or {}}
    )


@edit_required
def import_errors(request: AuthedRequest, pk: int) -> HttpResponse:
    """错误报告 (.xlsx): the rejected rows with bad cells highlighted and a reason column."""
    batch = _own_batch(request, pk)
    name = (batch.report or {}).get("path")
    if batch.status != "done" or not name:
        raise Http404
    content = error_report_xlsx(_upload_dir() / Path(name).name, batch.report)
    return xlsx_response(content, f"导入错误报告_{batch.pk}.xlsx")


@edit_required
def import_template(request: AuthedRequest) -> HttpResponse:
    """下载模板."""
    path = _upload_dir() / "家庭成员导入模板.xlsx"
    if not path.exists():
        write_template(path)
    return xlsx_response(path.read_bytes(), "家庭成员导入模板.xlsx")


def import_redirect(request: AuthedRequest) -> HttpResponse:
    return redirect("registry:import")
