"""疑似未登记困难对象: people outside the registry who tripped a rule (a large medical cost),
kept apart for the county to check — never a warning, since there is no household file yet."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.services import audit_search
from minzheng.core.access import AuthedRequest, data_required, edit_required
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate
from minzheng.monitoring.alerts import Discovery
from minzheng.monitoring.services import discovery_decide


@data_required
def discovery_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status") or Discovery.Status.OPEN
    qs = Discovery.objects.visible_to(request.user).select_related("division")
    if status in Discovery.Status.values:
        qs = qs.filter(status=status)
    ctx: dict[str, Any] = {"nav": "discoveries", "statuses": Discovery.Status.choices,
                           "status": status, **paginate(request, qs.order_by("-amount_fen", "pk"))}  # fmt: skip
    audit_search(actor=request.user, object_type="discovery", criteria={"status": status},
                 rows=ctx["total"])  # fmt: skip
    return render(request, "monitoring/discoveries.html", ctx)


@edit_required
@require_POST
def discovery_step(request: AuthedRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Discovery.objects.visible_to(request.user), pk=pk)
    try:
        discovery_decide(actor=request.user, discovery=found,
                         registered=request.POST.get("decision") == "registered",
                         note=request.POST.get("note", ""))  # fmt: skip
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
    else:
        messages.success(request, _("已保存"))
    return redirect("monitoring:discoveries")
