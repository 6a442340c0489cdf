"""Content of the example contact module (入户接触记录): one visit's outcome."""

from __future__ import annotations

from typing import Any

from fieldsurvey.example._authoring import L, Row, choices_of, q

__all__ = ["contact_module"]


def contact_module() -> dict[str, Any]:
    """A short contact module: one visit's outcome, asked at the door."""
    choices = {
        "outcome": choices_of(
            (1, "接触成功,同意访问", "Contact made, agreed"),
            (2, "接触成功,约定再访", "Contact made, appointment"),
            (3, "拒访", "Refusal"),
            (4, "无人在家", "No one at home"),
            (5, "无法进入楼栋/小区", "Could not get access"),
            (6, "空置房", "Vacant dwelling"),
            (7, "非住宅", "Not a dwelling"),
            (8, "其他", "Other"),
        ),
        "refusal": choices_of(
            (1, "没时间", "No time"),
            (2, "不感兴趣", "Not interested"),
            (3, "担心隐私", "Privacy worries"),
            (4, "身体原因", "Health"),
            (5, "其他", "Other"),
        ),
    }
    survey: list[Row] = [
        q("date", "v_date", "访问日期", "Date of visit", required="yes"),
        q(
            "select_one outcome",
            "v_outcome",
            "本次访问结果",
            "Outcome of this visit",
            required="yes",
        ),
        q(
            "select_one refusal",
            "v_refusal",
            "拒访原因",
            "Reason for refusal",
            relevant="${v_outcome} = 3",
        ),
        q(
            "date",
            "v_appointment",
            "约定再访日期",
            "Appointment date",
            required="yes",
            relevant="${v_outcome} = 2",
            constraint=". >= ${v_date}",
            constraint_message=L("再访日期不能早于本次访问", "Must not be before this visit"),
        ),
        q(
            "text",
            "v_phone",
            "联系电话(可选)",
            "Phone number (optional)",
            sensitive="yes",
            relevant="${v_outcome} = 2",
            constraint="regex(., '^1[3-9][0-9]{9}$')",
            constraint_message=L("请输入11位手机号", "Enter an 11-digit mobile number"),
        ),
        q(
            "text",
            "v_other",
            "其他情况说明",
            "Describe the other outcome",
            required="yes",
            relevant="${v_outcome} = 8",
        ),
        q("text", "v_note", "备注", "Notes"),
    ]
    return {
        "settings": {
            "form_id": "contact_module",
            "version": "2026.1",
            "default_language": "zh",
            "form_title": L("入户接触记录", "Contact attempt record"),
        },
        "languages": ["zh", "en"],
        "choices": choices,
        "survey": survey,
    }
