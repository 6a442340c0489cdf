"""The questionnaire runner's own messages to the interviewer, in Chinese and English.

A form's texts (labels, ``constraint_message``, ``required_message``) come from the form;
these are the runner's checks of an answer's kind and choices, and the fallbacks when a
form gives no message. ``say(key, language, **fields)`` picks the Chinese text for a
``zh*`` language and the English one otherwise; fields are filled with ``str.format``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MESSAGES", "say"]

MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("此题必须回答", "an answer is required"),
    "not_acceptable": ("这个答案不符合本题的要求", "the answer is not acceptable"),
    "not_valid": ("“{raw}”不是有效的答案", "'{raw}' is not a valid answer"),
    "expect_integer": ("应为整数", "a whole number"),
    "expect_decimal": ("应为数字", "a number"),
    "expect_date": ("应为日期，如 2026-05-01", "a date YYYY-MM-DD"),
    "expect_ok": ("应为 OK", "OK"),
    "not_a_choice": ("“{raw}”不是本题的选项", "'{raw}' is not a choice of this question"),
    "wrong_kind": ("{value} 不是有效的{kind}答案", "{value} is not a valid {kind} answer"),
    "special_not_allowed": ("本题不能答“{value}”", "{value} is not allowed for {name}"),
    "not_offered": ("“{value}”不是这里提供的选项", "'{value}' is not one of the choices offered"),
    "twice": ("同一选项选了两次", "a choice is selected twice"),
    "exclusive": ("选项“{value}”不能与其他选项同选",
                  "choice '{value}' cannot be combined with others"),
    "no_question": ("这里没有要回答的问题", "there is no question to answer here"),
    "read_only": ("此题只读，不能修改", "this question is read-only"),
    "no_answer": ("此题不需要回答", "this question takes no answer"),
    "expect_time": ("应为时间，如 18:30", "a time HH:MM"),
    "expect_datetime": ("应为日期和时间，如 2026-05-01 18:30", "a date and time YYYY-MM-DD HH:MM"),
    "expect_range": ("应为数字", "a number"),
    "expect_geopoint": ("应为坐标：纬度 经度 [高度 精度]", "coordinates: latitude longitude "
                        "[altitude accuracy]"),
    "expect_geotrace": ("应为至少两个坐标点，用 ; 分隔", "two or more points separated by ;"),
    "expect_geoshape": ("应为至少四个坐标点（首尾相同），用 ; 分隔",
                        "four or more points separated by ; (first = last)"),
    "range": ("应在 {lo} 到 {hi} 之间，步长 {step}",
              "must be from {lo} to {hi} in steps of {step}"),
    "rank_all": ("请给每一项排序", "every item must be ranked"),
    "accuracy": ("位置精度 {acc} 米，差于本题要求的 {limit} 米",
                 "the location's accuracy, {acc} m, is worse than {limit} m"),
    "no_file": ("找不到文件“{path}”", "there is no file '{path}'"),
    "unusual": ("这个答案不太寻常，请核实", "this answer is unusual; please check it"),
    # question types, as the messages name them
    "kind_integer": ("整数", "integer"),
    "kind_decimal": ("数字", "decimal"),
    "kind_text": ("文字", "text"),
    "kind_select_one": ("单选", "select_one"),
    "kind_select_multiple": ("多选", "select_multiple"),
    "kind_date": ("日期", "date"),
    "kind_acknowledge": ("确认", "acknowledge"),
    "kind_time": ("时间", "time"),
    "kind_datetime": ("日期时间", "datetime"),
    "kind_range": ("数字", "range"),
    "kind_rank": ("排序", "rank"),
    "kind_barcode": ("条码", "barcode"),
    "kind_geopoint": ("坐标", "geopoint"),
    "kind_geotrace": ("路线", "geotrace"),
    "kind_geoshape": ("区域", "geoshape"),
    "kind_image": ("图片文件", "image"),
    "kind_audio": ("音频文件", "audio"),
    "kind_video": ("视频文件", "video"),
    "kind_file": ("文件", "file"),
}


def say(key: str, language: str | None, **fields: Any) -> str:
    """The message ``key`` in ``language`` (Chinese for ``zh*``, else English)."""
    zh, en = MESSAGES[key]
    text = zh if (language or "").lower().startswith("zh") else en
    return text.format(**fields) if fields else text
