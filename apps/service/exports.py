"""The requests list's Excel sheet, for the export view and for the export job (apps/core/exports.py)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.exports import Sheet, sheet

from .filters import RequestFilter
from .models import Request
from .views.common import request_rows

REQUEST_HEADERS = [
    "编号",
    "受理时间",
    "企业",
    "来源",
    "类别",
    "诉求",
    "紧急程度",
    "状态",
    "承办单位",
    "承办人",
    "办结期限",
    "办结时间",
    "按时办结",
    "办理结果",
    "答复内容",
    "满意度",
    "登记单位",
]


def _stamp(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@sheet("service.requests")
def request_sheet(request) -> Sheet:
    """The filtered requests the user may open, one row each."""
    qs = RequestFilter(
        request.GET, queryset=request_rows(Request.objects.visible_to(request.user)), request=request
    ).qs
    now = timezone.now()

    def row(r):
        return [
            r.pk,
            _stamp(r.received_at),
            r.enterprise.name if r.enterprise_id else "",
            r.get_source_display(),
            r.category.name,
            r.title,
            r.get_urgency_display(),
            r.get_status_display() + ("（超期）" if r.due_state(now) == "overdue" else ""),
            r.handling_unit.name if r.handling_unit_id else "",
            str(r.handler) if r.handler_id else "",
            _stamp(r.close_due),
            _stamp(r.closed_at),
            {True: "是", False: "否"}.get(r.closed_on_time, ""),
            r.get_outcome_display(),
            r.answer,
            r.get_satisfaction_display(),
            r.logged_unit.name,
        ]

    return Sheet(
        filename_stem="requests", headers=REQUEST_HEADERS, queryset=qs, row=row, title=_("Export requests")
    )
