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
    # sync (household list) and the sync log
    "sync_key": ("同步", "Sync"),
    "sync_log_key": ("同步记录", "Sync log"),
    "sync_never": ("尚未同步 · 按 S 与服务器同步", "Not synced yet · S syncs with the server"),
    "sync_running": ("正在同步 {server} …", "Syncing with {server} …"),
    "sync_ok": ("上次同步 {time} · 发送 {pushed} · 接收 {pulled} · 成功",
                "Last sync {time} · sent {pushed} · received {pulled} · OK"),
    "sync_failed": ("同步失败 {time} · {msg}", "Sync failed {time} · {msg}"),
    "sync_counts": ("发送 {pushed} · 接收 {pulled}", "sent {pushed} · received {pulled}"),
    "sync_wait": ("正在同步，请稍候", "Syncing; please wait"),
    "sync_no_server": ("不知道服务器地址: 请用 --server 地址 打开，或先运行 fieldsurvey sync",
                       "No server address: open with --server URL, or run fieldsurvey sync once"),
    "sync_unreachable": ("连不上服务器 (数据未丢失)，请检查网络后再同步",
                         "Server unreachable; nothing lost; check the network"),
    "sync_bad_token": ("服务器不认本机的令牌 (401)，请向督导要新令牌",
                       "Wrong token (401): ask the supervisor for a new one"),
    "sync_no_token": ("本机没有同步令牌，请向督导要令牌",
                      "No sync token on this device: ask the supervisor"),
    "sync_server_newer": ("服务器软件较新，请升级本机 (未发送数据)",
                          "Server has a newer fieldsurvey: upgrade this device"),
    "sync_device_newer": ("本机软件较新，请升级服务器 (未发送数据)",
                          "Device has a newer fieldsurvey: upgrade the server"),
    "sync_disk_full": ("服务器磁盘已满，未接收数据，请告诉督导",
                       "Server disk full; nothing sent; tell the supervisor"),
    "sync_ok_short": ("成功", "OK"),
    "sync_log_title": ("同步记录 (最新在上)", "Sync log (newest first)"),
    "sync_log_empty": ("尚无同步记录", "No sync yet"),
    "sync_server": ("服务器 {server}", "Server {server}"),
    "col_pushed": ("发送", "Sent"),
    "col_pulled": ("接收", "Received"),
    "col_result": ("结果", "Result"),
    "help_sync": ("户列表: S 与服务器同步，L 同步记录",
                  "household list: S syncs with the server, L the sync log"),
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
    "media_hint": ("F3 从文件夹选择文件, 或输入路径",
                   "F3 picks the file from a folder, or type its path"),
    "pick_title": ("选择文件: {kind}", "Choose a file: {kind}"),
    "pick_kind_image": ("照片", "photo"),
    "pick_kind_audio": ("录音", "audio"),
    "pick_kind_video": ("视频", "video"),
    "pick_kind_file": ("任意文件", "any file"),
    "pick_keys": ("↑↓ 移动 · Enter 打开文件夹/选定 · Backspace 上一级 · Esc 取消",
                  "↑↓ move · Enter opens a folder / takes the file · Backspace up · Esc cancels"),
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
    # two-tier review (supervisor, then HQ)
    "tier_supervisor": ("督导", "supervisor"),
    "tier_hq": ("总部", "HQ"),
    "hq_title": ("总部审核", "HQ review"),
    "sv_approved": ("督导通过", "sup. ok"),
    "sv_rejected": ("督导退回", "sup. rej"),
    "hq_approved": ("总部通过", "HQ ok"),
    "hq_rejected": ("总部退回", "HQ rej"),
    "stage_none": ("未完成", "not completed"),
    "stage_pending": ("待督导审核", "awaiting the supervisor"),
    "stage_sv_approved": ("督导已通过，待总部审核", "approved by the supervisor, awaiting HQ"),
    "stage_sv_rejected": ("督导已退回", "rejected by the supervisor"),
    "stage_hq_approved": ("总部已通过", "approved by HQ"),
    "stage_hq_rejected": ("总部已退回", "rejected by HQ"),
    "review_list_hq": ("待审核访问 · 总部", "Interviews to review · HQ"),
    "first_rows": ("· 前{shown}条/共{total}条", "· first {shown} of {total}"),
    "not_awaiting": ("不在{tier}待审核之列: {stage}", "Not awaiting the {tier}'s review: {stage}"),
    "decided": ("{tier} {name} {decision}", "{tier} {name} {decision}"),
    "decision_approve": ("通过", "approved"),
    "decision_reject": ("退回", "rejected"),
    "reject_comment_all": ("退回意见 (针对整个访问)", "Reason to reject (the whole interview)"),
    "whole_interview": ("整个访问", "The whole interview"),
    "pick_question": ("Shift+Tab: 选择其他问题或整个访问",
                      "Shift+Tab: another question or the whole interview"),
    "note_key": ("备注", "Note"),
    "note_comment": ("给访员的备注 (针对所选问题 {key})",
                     "Note to the interviewer (on question {key})"),
    "note_comment_all": ("给访员的备注 (针对整个访问)",
                         "Note to the interviewer (the whole interview)"),
    "need_note": ("备注不能为空", "A note needs a text"),
    "noted_msg": ("备注已保存，下次同步时发给访员",
                  "Note kept; the interviewer gets it at the next sync"),
    "quit_after_sync": ("正在同步，同步完成后自动退出", "Syncing: the app quits when it is done"),
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
    # a household moved with work on its old device (store.sync.moved)
    "iv_moved": (
        "⚠ 此户已改派给{to}，但{by}的设备已在此户工作（两台设备的记录都保留）。"
        "请决定由谁完成：fieldsurvey review --resolve {dwelling} --to {by}（交回）"
        "或 --to {to}（留给{to}）",
        "⚠ Moved to {to} after {by}'s device had worked on it (both "
        "devices' entries are kept). Decide who finishes it: "
        "fieldsurvey review --resolve {dwelling} --to {by} (give it "
        "back) or --to {to} (keep it with {to})"),
    "resolve_key": (
        "谁来完成",
        "Who finishes"),
    "resolve_title": (
        "此户由谁完成？（两台设备的记录都保留）",
        "Who finishes this household? (both devices' entries are "
        "kept)"),
    "resolve_back": (
        "{name}：交回（其设备有此户的记录）",
        "{name}: give it back (their device holds the work)"),
    "resolve_keep": (
        "{name}：留给现在的访问员",
        "{name}: keep it with them"),
    "resolve_none": (
        "此户没有待处理的改派冲突",
        "Nothing to settle here"),
    "review_on_device": (
        "这是访问员设备的数据库：审核请在督导的中心库上进行（否则该设备将无法同步）",
        "This is an interviewer's device store: review in the "
        "central store (a decision here would stop this device's "
        "syncs)"),
    "resolved_back": (
        "已交回{to}；两台设备的记录都保留",
        "Given back to {to}; both devices' entries are kept"),
    "resolved_keep": (
        "留给{to}；请告知原访问员停止此户",
        "Kept with {to}; tell the other interviewer to stop there"),
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
