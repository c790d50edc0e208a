"""Policy simulation (政策模拟): run as a background job, show and export the table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from minzheng.assistance import cases as svc
from minzheng.core.access import AuthedRequest, data_required
from minzheng.core.errors import BilingualError


@data_required
def simulation_page(request: AuthedRequest) -> HttpResponse:
    """政策模拟: run eligibility under changed parameters as a background job; show and
    export the table per subordinate division (aggregates only)."""
    from minzheng.jobs.models import Job
    from minzheng.jobs.services import job_submit

    user = request.user
    home = user.division
    prefix = home.prefix if home is not None else ""
    if request.method == "POST":
        from minzheng.assistance.catalogue import check_prefix
        from minzheng.assistance.simulation import parse_change
        from minzheng.assistance.tasks import simulate_task

        division = (request.POST.get("division") or prefix).strip()
        changes = [c.strip() for c in request.POST.get("changes", "").splitlines() if c.strip()]
        try:
            division = check_prefix(division)
            if not division.startswith(prefix):
                raise svc.CaseError("forbidden", "只能模拟本辖区", "only within your jurisdiction")
            if not changes:
                raise svc.CaseError("changes", "请填写参数变动", "give at least one change")
            for text in changes:
                name, _sep, change = text.partition("=")
                parse_change(name.strip(), change)
            on = dt.date.fromisoformat(request.POST.get("date") or dt.date.today().isoformat())
        except (BilingualError, ValueError) as err:
            text = (
                f"{err.message} / {err.message_en}" if isinstance(err, BilingualError) else str(err)
            )
            messages.error(request, text)
            return redirect("assistance:simulate")
        submitted = job_submit(simulate_task, division, changes, on.isoformat(), actor=user,
                               label=f"政策模拟 {division or '全国'} {'; '.join(changes)}"[:200])  # fmt: skip
        return redirect(f"{request.path}?job={submitted.pk}")
    job: Job | None = None
    if request.GET.get("job"):
        job = Job.objects.filter(pk=request.GET["job"], actor=user).first()
    result: dict[str, Any] | None = (
        job.return_value if job is not None and job.status == "SUCCESSFUL" else None
    )
    ctx = {"nav": "simulate", "job": job, "prefix": prefix, "today": dt.date.today(),
           "result": result}  # fmt: skip
    if request.GET.get("export") and result:
        from minzheng.assistance.simulation import Simulation
        from minzheng.core.xlsx import workbook_bytes, xlsx_response

        data = result
        sim = Simulation(data["division"], dt.date.fromisoformat(data["date"]), data["changes"],
                         rows=data["rows"], total=data["total"])  # fmt: skip
        headers = [f"{zh} {en}" for _, zh, en in Simulation.COLUMNS]
        return xlsx_response(workbook_bytes("政策模拟", headers, sim.table_rows()),
                             f"政策模拟_{data['division'] or '全国'}_{data['date']}.xlsx")  # fmt: skip
    return render(request, "assistance/simulate.html", ctx)
