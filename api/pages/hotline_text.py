"""Labels of the 12345 pages, in the page's language (read by static/js/hotline.js)."""

from __future__ import annotations

from flask_babel import gettext as _


def hotline_text() -> dict:
    return {
        "any_sub": _("（不限）"),
        "proposal": _("派单目录建议承办单位"),
        "proposal_wait": _("选择分类和地点后显示建议承办单位"),
        "proposal_none": _("派单目录中没有对应单位：将由热线中心派单"),
        "no_duplicates": _("未发现疑似重复诉求"),
        "received": _("已受理"),
        "code": _("查询码"),
        "link_to": _("关联到"),
        "linked": _("已关联，合并办理"),
        "answered": _("已直接答复并办结"),
        "same_unit": _("原承办单位"),
        "contacted": _("承办单位是否联系了您"),
        "resolved": _("问题是否已解决"),
        "satisfaction": _("满意度"),
        "satisfied": _("满意"),
        "basically": _("基本满意"),
        "unsatisfied": _("不满意"),
        "reopen": _("重办"),
        "reopen_reason": _("重办理由"),
        "record_visit": _("记录回访"),
        "unit": _("承办单位"),
        "reply": _("答复"),
        "rank": _("排名"),
        "visited": _("回访量"),
        "response_rate": _("响应率"),
        "resolution_rate": _("解决率"),
        "satisfaction_rate": _("满意率"),
        "score": _("综合得分"),
        "previous_rank": _("上期排名"),
        "top_level": _("全部"),
        "mom": _("环比"),
        "persistent": _("持续热点"),
        "rising": _("快速上升"),
    }
