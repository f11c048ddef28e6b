"""Labels shared by the pages and by their scripts, in the page's language."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L

STATUS = {
    "submitted": L("已申请"),
    "in_progress": L("办理中"),
    "awaiting_supplement": L("补正中"),
    "suspended": L("特别程序"),
    "completed": L("已办结"),
    "refused": L("不予受理/不予许可"),
    "withdrawn": L("已撤回"),
}
TASK_STATE = {
    "ready": L("待办"),
    "claimed": L("办理中"),
    "completed": L("已办"),
    "cancelled": L("已取消"),
}
EVENTS = {
    "submitted": L("提交申请"),
    "accepted": L("受理"),
    "task_ready": L("环节待办"),
    "task_claimed": L("认领"),
    "task_unclaimed": L("退回待办"),
    "task_completed": L("环节办结"),
    "supplement_requested": L("要求补正"),
    "supplemented": L("申请人补正"),
    "clock_resumed": L("恢复计时"),
    "suspended": L("特别程序"),
    "resumed": L("恢复办理"),
    "extended": L("延期"),
    "completed": L("办结"),
    "task_dispatched": L("派单"),
    "dispatch_failed": L("无法自动派单"),
    "task_returned": L("退单"),
    "dispute_opened": L("争议"),
    "dispute_decided": L("争议裁定"),
    "summoned": L("吹哨"),
    "assist_completed": L("协办办结"),
    "refused": L("不予受理/不予许可"),
    "withdrawn": L("撤回"),
    "rated": L("评价"),
    "warning": L("预警"),
}
WARNING = {"none": L("正常"), "yellow": L("黄牌预警"), "red": L("红牌超期")}


def status_label(status: str) -> str:
    return str(STATUS.get(status, status))


def title_of(text: dict | None, fallback: str = "") -> str:
    """A {zh, en} text in the page's language, falling back to Chinese."""
    if not text:
        return fallback
    lang = str(get_locale() or "zh")
    return text.get(lang) or text.get("zh") or next(iter(text.values()), fallback)


def js_strings() -> dict:
    """Everything the pages' scripts write, translated on the server."""
    return {
        "lang": str(get_locale() or "zh"),
        "status": {k: str(v) for k, v in STATUS.items()},
        "task_state": {k: str(v) for k, v in TASK_STATE.items()},
        "warning": {k: str(v) for k, v in WARNING.items()},
        "required": _("必填"),
        "yes": _("是"),
        "no": _("否"),
        "choose": _("请选择"),
        "submit_failed": _("提交未通过，请按提示修改标红的项目"),
        "network": _("网络错误，请重试"),
        "saved": _("已保存"),
        "claim": _("认领"),
        "handle": _("办理"),
        "view": _("查看"),
        "no_tasks": _("暂无待办"),
        "assist": _("协办"),
        "returned_times": _("已退单{n}次"),
        "disputed": _("争议"),
        "dispatch_failed": _("未能自动派单"),
        "dispatch_note": _("该任务在派单单位（{unit}）：请选择承办单位派出。"),
        "dispute_note": _("该任务已两次退单，成为争议：由派单单位的主管裁定派往何处。"),
        "return_note": _("派单后{window}内可退回，请写明理由。"),
        "units_required": _("请至少选择一个部门"),
        "assists": _("协办任务"),
        "confirm_withdraw": _("确定撤回申请吗？"),
        "confirm_refuse": _("确定不予受理/不予许可吗？"),
        "done": _("操作成功"),
        "reason_required": _("请填写理由"),
        "missing_required": _("请至少选择或填写一项缺少的材料"),
        "deployed": _("已部署为新版本"),
        "problems": _("发现以下问题"),
        "version": _("版本"),
        "open_modeler": _("编辑流程图"),
        "on_time_rate": _("按时办结率"),
        "yellow": _("黄牌"),
        "red": _("红牌"),
        "rating_mean": _("平均评分"),
        "cases": _("办件数"),
        "tasks": _("任务数"),
        "by_matter": _("按事项"),
        "by_department": _("按部门"),
        "none_yet": _("暂无数据"),
        "logged_out": _("请先登录"),
        "due": _("到期"),
        "case": _("办件"),
        "department": _("部门"),
        "state": _("状态"),
        "assignee": _("经办人"),
        "task": _("环节"),
        "at": _("时间"),
        "actor": _("操作人"),
        "event": _("事件"),
        "data": _("内容"),
        "matter": _("事项"),
        "sla": _("预警"),
        "msg_required": _("必填"),
        "msg_format": _("格式不正确"),
        "msg_type": _("类型不正确"),
        "msg_range": _("超出允许范围"),
        "msg_short": _("内容太短"),
        "msg_long": _("内容太长"),
        "msg_choice": _("请从选项中选择"),
        "task_label": _("环节"),
        "case_label": _("办件"),
        "events": {k: str(v) for k, v in EVENTS.items()},
    }
