"""人工核对: feed records whose best registry candidate scored between the review and the
accept thresholds. A caseworker of the record's area compares the two side by side (ID
numbers masked) and says whether they are the same person; accepting links the record."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.scope import covers
from minzheng.core.access import AuthedRequest, edit_required
from minzheng.core.paging import paginate
from minzheng.monitoring.feeds.kinds import kinds
from minzheng.monitoring.linkage.services import clerical_decide
from minzheng.monitoring.models import ClericalPair, FeedRecord


def _pairs(request: AuthedRequest) -> QuerySet[ClericalPair]:
    records = FeedRecord.objects.visible_to(request.user)
    return ClericalPair.objects.filter(feed_record__in=records).select_related(
        "feed_record", "person", "person__household", "person__hukou_division"
    )


@edit_required
def clerical_queue(request: AuthedRequest) -> HttpResponse:
    pending = _pairs(request).filter(status=ClericalPair.Status.PENDING)
    titles = {k.kind: k.title for k in kinds()}
    ctx = {"nav": "clerical", "titles": titles,
           **paginate(request, pending.order_by("-match_probability", "pk"))}  # fmt: skip
    for pair in ctx["page"]:
        pair.kind_title = titles.get(pair.feed_record.kind, pair.feed_record.kind)
    return render(request, "monitoring/clerical.html", ctx)


@edit_required
@require_POST
def clerical_step(request: AuthedRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(_pairs(request), pk=pk)
    if not covers(request.user, pair.feed_record.division):
        return redirect("monitoring:clerical")
    try:
        clerical_decide(pair, actor=request.user, accept=request.POST.get("same") == "yes")
    except ValidationError as err:
        messages.error(request, "；".join(err.messages))
    else:
        messages.success(request, _("已保存"))
    return redirect("monitoring:clerical")
