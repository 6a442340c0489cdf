"""The TUI's own texts in Chinese and English (questionnaire texts come from the form).

The one translation mechanism of the TUI: every text the app draws is a key of
:data:`TEXTS` (the help page's lines too); AAPOR outcome labels come from
:mod:`fieldsurvey.rates.codes`, the one owner of that vocabulary. ``tr(key, lang)``
returns the text; ``{name}`` fields are filled with ``str.format``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HELP_KEYS", "TEXTS", "outcome_label", "tr"]  # and OUTCOME_CHOICES (lazy)

TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("入户访问", "Household interviews"),
    "supervisor_title": ("督导", "Supervisor"),
    "lang_name": ("中文", "English"),
    # assignment list
    "households": ("样本户", "Households"),
    "counts": ("共{total}户 · 未访{fresh} · 进行中{open} · 完成{done} · 结案{closed}",
               "{total} households · new {fresh} · open {open} · done {done} · "
               "closed {closed}"),
    "all_communities": ("全部社区", "All communities"),
    "all_status": ("全部状态", "All statuses"),
    "search": ("搜索地址…", "Search address…"),
    "col_line": ("序号", "Line"),
    "col_community": ("社区", "Community"),
    "col_address": ("小区 楼栋-单元-室", "Compound · bldg-unit-door"),
    "col_full_address": ("地址", "Address"),
    "col_place": ("门牌", "Place"),
    "col_status": ("状态", "Status"),
    "col_attempts": ("次数", "Vis."),
    "col_appt": ("预约", "Appointment"),
    "loading": ("正在读取…", "Loading…"),
    "st_new": ("未访", "New"),
    "st_open": ("访问中", "Open"),
    "st_done": ("已完成", "Done"),
    "st_partial": ("部分完成", "Partial"),
    "st_rejected": ("退回", "Rejected"),
    "st_closed": ("已结案", "Closed"),
    "st_pending": ("待再访", "Revisit"),
    # household
    "household": ("住户", "Household"),
    "kish_table": ("Kish表", "Kish table"),
    "attempts": ("接触记录", "Contact attempts"),
    "col_time": ("时间", "Time"),
    "col_outcome": ("结果", "Outcome"),
    "col_note": ("备注", "Note"),
    "no_attempts": ("尚无接触记录", "No contact attempts yet"),
    "interviews_none": ("尚未开始访问", "No interview yet"),
    "interview_status": ("访问: {status}", "Interview: {status}"),
    "comments": ("督导意见", "Supervisor comments"),
    "new_attempt": ("记录接触", "Record visit"),
    "roster": ("家庭成员", "Roster"),
    "interview": ("访问", "Interview"),
    "back": ("返回", "Back"),
    # attempt dialog
    "pick_outcome": ("选择本次接触结果", "Outcome of this visit"),
    "appointment": ("预约时间 (可空)", "Appointment (may be empty)"),
    "appt_examples": ("12-05 18:30 · 18:30 · 明天 18:30 · +2d",
                      "12-05 18:30 · 18:30 · tomorrow 18:30 · +2d"),
    "note": ("备注", "Note"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "bad_time": ("看不懂这个时间。可写: 12-05 18:30、18:30 (今天)、明天 18:30、+2d (两天后)",
                 "Not a time. Write 12-05 18:30, 18:30 (today), tomorrow 18:30 or +2d"),
    "past_time": ("这个时间已经过去了，请写以后的时间", "That time has passed; give a later one"),
    "need_appt": ("约访需要预约时间", "An appointment needs a time"),
    "saved_attempt": ("已记录: {label}", "Recorded: {label}"),
    # roster
    "roster_title": ("家庭成员 (18岁及以上常住者可被选)",
                     "Household members (residents 18+ can be chosen)"),
    "col_name": ("称呼", "Name"),
    "col_sex": ("性别", "Sex"),
    "col_age": ("年龄", "Age"),
    "col_resident": ("常住", "Resident"),
    "col_eligible": ("合格", "Eligible"),
    "male": ("男", "Male"),
    "female": ("女", "Female"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "add_member": ("添加", "Add"),
    "remove_member": ("删除", "Remove"),
    "select_resp": ("抽选受访者", "Select respondent"),
    "sex_hint": ("性别 1男 2女", "Sex 1 m 2 f"),
    "age_hint": ("年龄", "Age"),
    "name_hint": ("称呼", "Name"),
    "res_hint": ("常住 1是 2否", "Resident 1 y 2 n"),
    "bad_sex": ("性别请填 1(男) 或 2(女)", "Sex is 1 (male) or 2 (female)"),
    "bad_age": ("年龄应是 0–120 的整数", "Age is a whole number 0–120"),
    "bad_res": ("常住请填 1(是) 或 2(否)", "Resident is 1 (yes) or 2 (no)"),
    "selected": ("被选中的受访者: 第{line}行 {name} {sex} {age}岁",
                 "Selected respondent: line {line} {name} {sex} age {age}"),
    "selected_how_kish": ("按Kish表{table}: {k}名合格成员中排第{pos}位，被选概率 {p}",
                          "Kish table {table}: number {pos} of {k} eligible, probability {p}"),
    "selected_how_random": ("随机抽取: {k}名合格成员中排第{pos}位，被选概率 {p}",
                            "Random choice: number {pos} of {k} eligible, probability {p}"),
    "no_selection": ("尚未抽选", "No respondent selected yet"),
    "no_eligible": ("没有18岁及以上的常住成员: 请记录接触结果 4.7",
                    "No resident aged 18+: record outcome 4.7"),
    "selection_locked": ("访问已开始，不能重新抽选", "The interview has started; no new selection"),
    # question screen
    "next": ("下一题", "Next"),
    "prev": ("上一题", "Previous"),
    "jump": ("跳到", "Jump"),
    "flag": ("标记", "Flag"),
    "review": ("检查", "Review"),
    "help": ("帮助", "Help"),
    "language": ("EN", "中文"),
    "leave": ("离开", "Leave"),
    "special_keys": ("F8 不知道 · F9 拒绝回答", "F8 don't know · F9 refused"),
    "add_instance": ("A 添加一位 · Enter 结束列表", "A add one · Enter finish the list"),
    "instances": ("已有 {n} 条", "{n} so far"),
    "end_of_form": ("问卷已答完。按 Enter 检查并提交。",
                    "The questionnaire is finished. Press Enter to review and submit."),
    "read_only": ("(由程序填写)", "(filled by the app)"),
    "required": ("*必答", "*required"),
    "flagged": ("已标记", "Flagged"),
    "comment_on_q": ("督导: {text}", "Supervisor: {text}"),
    "ack": ("按 Enter 确认", "Press Enter to confirm"),
    "note_enter": ("按 Enter 继续", "Press Enter to continue"),
    "type_answer": ("输入后按 Enter", "Type and press Enter"),
    "multi_hint": ("数字键/空格 选择或取消，Enter 确认", "Digits/space toggle, Enter confirms"),
    "sections": ("跳到部分", "Jump to section"),
    "not_reachable": ("该部分目前不适用", "That section does not apply"),
    "saved_error": ("未保存: {msg}", "NOT saved: {msg}"),
    "expected": ("（{what}）", " ({what})"),
    "comment_key": ("备注", "Comment"),
    "note_on_q": ("访员备注: {text}", "Interviewer's note: {text}"),
    "comment_title": ("本题备注 ({key})", "Comment on question {key}"),
    "need_comment_text": ("请写备注内容 (Esc 取消)", "Write the comment (Esc cancels)"),
    "warning_open": ("{msg} (Enter: 说明原因后继续)", "{msg} (Enter: give the reason to go on)"),
    "warning_confirmed": ("{msg} — 已确认: {reason}", "{msg} — confirmed: {reason}"),
    "warning_reason": ("确认这个回答: 请说明原因 ({key})",
                       "Confirm this answer: give the reason ({key})"),
    "need_reason": ("请写明原因，或按 Esc 回去修改回答",
                    "Write the reason, or press Esc to change the answer"),
    "jump_title": ("跳到某一题: 输入题号或文字", "Jump to a question: type its number or text"),
    "jump_search": ("题号或文字…", "Number or text…"),
    "jump_none": ("没有符合的问题", "No question matches"),
    "leave_title": ("离开访问 (答案已保存)", "Leave the interview (answers are saved)"),
    "leave_appt": ("再访时间 (可空)，Enter 离开，Esc 回到访问",
                   "Time of the next visit (may be empty); Enter leaves, Esc goes back"),
    "share": ("已答 {answered}/{applicable} 题 ({share})",
              "{answered} of {applicable} answered ({share})"),
    "share_complete": ("达到完成线 {complete}", "complete (from {complete})"),
    "share_partial": ("部分完成 (完成线 {complete})", "partial (complete from {complete})"),
    "share_breakoff": ("不足部分完成线 {partial}: 记为中断",
                       "below the partial line {partial}: a break-off"),
    "partial_refused": ("只答了 {share}，不足部分完成线 {partial}，不能提交为部分完成；"
                        "请继续访问，或按 Esc 离开 (记为中断)",
                        "Only {share} answered, below the partial line {partial}: not a "
                        "partial. Go on with the interview, or leave with Esc (a break-off)"),
    # review
    "review_title": ("检查: 未答和已标记的问题", "Review: unanswered and flagged questions"),
    "unanswered": ("未答", "Unanswered"),
    "special": ("特殊回答", "Special answer"),
    "all_good": ("所有必答题都已回答。", "Every required question is answered."),
    "complete": ("提交完成", "Submit complete"),
    "partial": ("提交部分完成", "Submit partial"),
    "cannot_complete": ("还有未答的必答题", "Required questions are unanswered"),
    "completed_msg": ("访问已提交", "Interview submitted"),
    # supervisor
    "progress": ("进度", "Progress"),
    "by_community": ("按社区", "By community"),
    "by_interviewer": ("按访员", "By interviewer"),
    "col_interviewer": ("访员", "Interviewer"),
    "col_issued": ("发放", "Issued"),
    "col_attempted": ("已访", "Tried"),
    "col_completed": ("完成", "Done"),
    "col_refused": ("拒访", "Refused"),
    "col_rr": ("应答率", "RR1"),
    "all_rows": ("合计", "All"),
    "review_list": ("待审核访问", "Interviews to review"),
    "col_review": ("审核", "Review"),
    "approve": ("通过", "Approve"),
    "reject": ("退回", "Reject"),
    "reject_comment": ("退回意见 (针对所选问题 {key})", "Reason to reject (on question {key})"),
    "need_comment": ("退回需要写明意见", "A rejection needs a comment"),
    "approved_msg": ("已通过", "Approved"),
    "rejected_msg": ("已退回", "Rejected"),
    "read_only_view": ("只读查看", "Read only"),
    "col_question": ("问题", "Question"),
    "col_answer": ("回答", "Answer"),
    "col_iv_notes": ("访员说明", "Interviewer's notes"),
    "rv_none": ("未审核", "not reviewed"),
    "rv_pending": ("待审核", "pending"),
    "rv_approved": ("已通过", "approved"),
    "rv_rejected": ("已退回", "rejected"),
    # quality flags (supervisor)
    "quality_key": ("质量", "Quality"),
    "filter_key": ("筛选", "Filter"),
    "sort_key": ("排序", "Sort"),
    "tally_key": ("统计", "Tally"),
    "col_flags": ("质量提示", "Flags"),
    "col_spq": ("秒/题", "s/q"),
    "col_special": ("不知道", "DK/RF"),
    "quality_title": ("质量提示 · 显示: {shown} (F) · 排序: {order} (S) · Q 返回审核",
                      "Quality · showing {shown} (F) · order {order} (S) · Q review"),
    "flag_": ("全部", "all"),
    "flag_any": ("有提示的", "flagged"),
    "flag_speeding": ("过快", "speeding"),
    "flag_straight_lining": ("同一答案", "straight"),
    "flag_special_answers": ("不知道多", "many DK"),
    "flag_outside_hours": ("非工作时间", "off hours"),
    "flag_gps_distance": ("位置远", "far GPS"),
    "flag_outcome_mix": ("结果分布异常", "outcome mix"),
    "flag_completes_per_day": ("日完成过多", "per day"),
    "sort_n_flags": ("提示数", "flags"),
    "sort_sec_per_question": ("秒/题", "s/question"),
    "sort_special_share": ("不知道比例", "DK share"),
    "sort_interviewer": ("访员", "interviewer"),
    # key bar
    "household_key": ("打开", "Open"),
    "search_key": ("搜索", "Search"),
    "clear_key": ("清除筛选", "Clear filters"),
    "goto": ("去该题", "Go to"),
    "open": ("查看", "Open"),
    "switch_by": ("社区/访员", "By group"),
    "next_table": ("切换表格", "Next table"),
    # help
    "help_title": ("按键说明", "Keys"),
    "close": ("关闭", "Close"),
    "error": ("错误", "Error"),
    "help_digits": ("选择该代码的选项 (两位数连按)",
                    "choose the option with that code (two digits in a row)"),
    "help_space": ("多选题: 选择/取消当前选项", "multi-select: toggle the highlighted option"),
    "help_arrows": ("移动光标", "move the cursor"),
    "help_next": ("确认并到下一题", "confirm and go to the next question"),
    "help_prev": ("上一题", "previous question"),
    "help_jump": ("跳到某一题 (按题号或文字查找)", "jump to a question (by number or text)"),
    "help_review": ("检查未答和已标记的问题", "review unanswered and flagged questions"),
    "help_flag": ("标记/取消标记本题", "flag / unflag this question"),
    "help_comment": ("给本题写备注", "write a comment on this question"),
    "help_special": ("不知道 / 拒绝回答", "don't know / refused"),
    "help_language": ("切换 中文 / English", "switch 中文 / English"),
    "help_help": ("本帮助", "this help"),
    "help_back": ("返回上一页 (答案已保存)", "go back (answers are saved)"),
    "help_quit": ("退出 (答案已保存)", "quit (answers are saved)"),
    "help_search": ("户列表: 搜索地址", "household list: search addresses"),
    "help_household": ("住户页: 记录接触 / 家庭成员 / 访问",
                       "household page: record visit / roster / interview"),
}

#: The help page: the keys as written and the text key of what they do (``help_<n>``).
HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("0–9", "help_digits"),
    ("空格 Space", "help_space"),
    ("↑ ↓", "help_arrows"),
    ("Enter / PgDn", "help_next"),
    ("PgUp", "help_prev"),
    ("F5", "help_jump"),
    ("F6", "help_review"),
    ("F7", "help_flag"),
    ("F2", "help_comment"),
    ("F8 / F9", "help_special"),
    ("F4", "help_language"),
    ("F1 ?", "help_help"),
    ("Esc", "help_back"),
    ("Ctrl+Q", "help_quit"),
    ("/", "help_search"),
    ("N / R / I", "help_household"),
)

def __getattr__(name: str) -> Any:
    """``OUTCOME_CHOICES``.

    The outcomes offered when recording a visit, the one in-person list of
    :mod:`fieldsurvey.rates.codes` (imported when first asked for: the rates pull in pandas,
    which the household list does not need).
    """
    if name == "OUTCOME_CHOICES":
        from fieldsurvey.rates.codes import VISIT_OUTCOMES

        return VISIT_OUTCOMES
    raise AttributeError(name)


def tr(text_key: str, lang: str, /, **fields: Any) -> str:
    """The UI text ``text_key`` in ``lang`` (``zh`` or ``en``), with ``fields`` filled in."""
    zh, en = TEXTS[text_key]
    text = zh if lang.startswith("zh") else en
    return text.format(**fields) if fields else text


def outcome_label(code: str, lang: str) -> str:
    """An AAPOR code with its label in ``lang``, e.g. ``2.24 家中无人``.

    The words are those of :mod:`fieldsurvey.rates.codes`, the one owner of the outcome
    vocabulary.
    """
    from fieldsurvey.rates.codes import outcome_label as label_of

    return label_of(code, lang)
