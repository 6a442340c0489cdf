"""Content of the example resident survey (社区居民需求、参与与满意度调查).

See the project's QUESTIONNAIRE.md for the item list, codes and skip rules it implements.
"""

from __future__ import annotations

from typing import Any

from fieldsurvey.example._authoring import L, Row, choices_of, group, q

__all__ = ["NEEDS", "SATISFACTION", "resident_survey"]

YES_NO = choices_of((1, "是", "Yes"), (2, "否", "No"))
THIS_YEAR = "int(format-date(today(), '%Y'))"

NEEDS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "物业与住房",
        "Property and housing",
        [
            (
                "房屋质量问题有常态化维修渠道",
                "A regular repair channel for housing-quality problems",
            ),
            ("物业费收支公开、服务有标准", "Open property-fee accounts and service standards"),
            (
                "电梯等设备安全检测与维保",
                "Safety inspection and maintenance of lifts and equipment",
            ),
        ],
    ),
    (
        "基础设施",
        "Infrastructure",
        [
            ("小区道路与公共照明", "Compound roads and public lighting"),
            ("水电气管网稳定安全", "Stable, safe water, power and gas networks"),
            ("新能源汽车与电动车充电设施", "Charging for electric cars and e-bikes"),
        ],
    ),
    (
        "环境卫生",
        "Sanitation",
        [
            ("垃圾分类设施与及时清运", "Waste-sorting facilities and timely collection"),
            ("绿化养护与补植", "Care and replanting of green space"),
            ("楼道与公共空间乱堆乱放整治", "Clearing clutter from stairwells and public space"),
        ],
    ),
    (
        "公共安全",
        "Public safety",
        [
            ("消防通道畅通与应急演练", "Clear fire lanes and emergency drills"),
            ("监控全覆盖、更清晰", "Full, clearer CCTV coverage"),
            ("保安巡逻与夜间值守", "Security patrols and night watch"),
        ],
    ),
    (
        "交通出行",
        "Transport",
        [
            ("停车位规划、缓解停车难", "Parking planning to ease parking shortage"),
            ("公交线路与班次", "Bus routes and frequency"),
        ],
    ),
    (
        "社区服务",
        "Community services",
        [
            ("一站式便民服务窗口", "One-stop service counter"),
            ("法律咨询与矛盾调解", "Legal advice and dispute mediation"),
            ("为困难群体代办、陪同", "Errands and escort for people in difficulty"),
        ],
    ),
    (
        "就业与民生",
        "Jobs and livelihood",
        [
            ("招工信息、就业指导与技能培训", "Job information, guidance and skills training"),
            ("平价菜店、便民商店", "Affordable grocery and convenience shops"),
        ],
    ),
    (
        "养老与健康",
        "Elderly care and health",
        [
            ("日间照料中心或长者食堂", "Day-care centre or canteen for older people"),
            ("健康义诊与健康档案", "Free health checks and health records"),
            ("适老健身器材", "Exercise equipment suited to older people"),
        ],
    ),
    (
        "教育与托育",
        "Education and childcare",
        [
            (
                "课后\u201c四点半课堂\u201d或假期托管",
                "After-school (\u201cfour-thirty class\u201d) or holiday care",
            ),
            ("儿童活动空间与安全游乐设施", "Play space and safe playground equipment"),
            ("家庭教育讲座与亲子活动", "Parenting talks and parent-child activities"),
        ],
    ),
    (
        "文体活动",
        "Culture and sports",
        [
            ("球场、乒乓球台等场地", "Courts, table-tennis tables and other venues"),
            ("邻里中心、书画室、棋牌室", "Neighbourhood centre, art and games rooms"),
            ("节日庆典与社区运动会", "Festival events and community sports days"),
        ],
    ),
    (
        "治理与参与",
        "Governance and participation",
        [
            ("畅通的意见反馈渠道", "Open channels for feedback"),
            ("业委会规范选举与运作", "Proper election and running of the owners' committee"),
            ("更多参与小区公共事务决策", "More say in compound decisions"),
        ],
    ),
]

SATISFACTION = [
    ("物业服务", "Property management"),
    ("环境卫生", "Sanitation"),
    ("社会治安", "Public order"),
    ("停车与出行", "Parking and transport"),
    ("便民服务", "Convenience services"),
    ("养老服务", "Elderly care"),
    ("托育与儿童服务", "Childcare and children's services"),
    ("文体活动", "Culture and sports activities"),
    ("社区办事效率", "Efficiency of the community office"),
    ("居民参与社区自治", "Residents' part in self-governance"),
    (
        "社区信息公开(如物业费、惠民资金公示)",
        "Openness of information (property fees, welfare funds)",
    ),
    ("社区工作者服务态度", "Attitude of community workers"),
]


def _need_selected(n: int) -> str:
    v = f"${{c{n}}}"
    return (
        f"count-selected({v}) > 0 and not(selected({v}, '0')) and not(selected({v}, '-8'))"
        f" and not(selected({v}, '-9'))"
    )


def resident_survey() -> dict[str, Any]:
    """The source of the resident survey (sheets as nested data)."""
    choices: dict[str, list[Row]] = {
        "sex": choices_of((1, "男", "Male"), (2, "女", "Female")),
        "yesno": YES_NO,
        "edu": choices_of(
            (1, "小学及以下", "Primary or less"),
            (2, "初中", "Junior secondary"),
            (3, "高中/中专/职高", "Senior secondary or vocational"),
            (4, "大专", "College"),
            (5, "本科及以上", "Bachelor or higher"),
        ),
        "hukou": choices_of(
            (1, "本社区", "This community"),
            (2, "本县(区)其他地方", "Elsewhere in this county"),
            (3, "外县(区)", "Another county"),
        ),
        "housing": choices_of(
            (1, "自有商品房", "Own commercial housing"),
            (2, "安置房", "Resettlement housing"),
            (3, "单位房/房改房", "Work-unit / reformed housing"),
            (4, "租住", "Rented"),
            (5, "其他", "Other"),
        ),
        "compound": choices_of(
            (1, "商业小区(有物业)", "Commercial estate (managed)"),
            (2, "无物业楼院", "Courtyard without management"),
            (3, "单位小区", "Work-unit compound"),
            (4, "安置小区", "Resettlement compound"),
            (5, "其他", "Other"),
        ),
        "work": choices_of(
            (1, "在职", "Employed"),
            (2, "离退休", "Retired"),
            (3, "失业/待业", "Unemployed"),
            (4, "在校", "In education"),
            (5, "料理家务", "Homemaker"),
            (6, "其他", "Other"),
        ),
        "partic": choices_of(
            (1, "居民会议/议事协商会", "Residents' or consultation meetings"),
            (2, "社区志愿服务", "Community volunteering"),
            (3, "文体活动", "Cultural or sports events"),
            (4, "业主大会或业委会选举", "Owners' assembly or committee election"),
            (5, "向社区反映问题或提建议", "Raising problems or suggestions"),
            (6, "投诉", "Complaints"),
            (7, "网上社区群/公众号讨论", "Online community groups"),
            (0, "都没有", "None of these"),
            exclusive=[0],
        ),
        "reasons": choices_of(
            (1, "身体原因", "Health"),
            (2, "工作忙没时间", "Busy with work"),
            (3, "不知道怎么参与", "Do not know how to take part"),
            (4, "觉得参与了也没用", "Taking part makes no difference"),
            (5, "不感兴趣", "Not interested"),
            (6, "不是本地人/住不久", "Not local / short stay"),
            (7, "其他", "Other"),
        ),
        "willing5": choices_of(
            (1, "很不愿意", "Very unwilling"),
            (2, "不太愿意", "Rather unwilling"),
            (3, "一般", "Neutral"),
            (4, "比较愿意", "Rather willing"),
            (5, "很愿意", "Very willing"),
        ),
        "aware": choices_of(
            (1, "知道并联系过", "Know them and have contacted them"),
            (2, "知道但没联系过", "Know them, never contacted"),
            (3, "不知道", "Do not know them"),
        ),
        "coop": choices_of(
            (1, "愿意", "Willing"), (2, "看情况", "Depends"), (3, "不愿意", "Unwilling")
        ),
        "open5": choices_of(
            (1, "很不畅通", "Very blocked"),
            (2, "不太畅通", "Rather blocked"),
            (3, "一般", "Neutral"),
            (4, "比较畅通", "Rather open"),
            (5, "很畅通", "Very open"),
        ),
    }
    need_qs: list[Row] = [
        q(
            "note",
            "c_intro",
            "您家目前需要社区帮助解决以下哪些问题?(每类可多选)",
            "Which of these problems does your household need the community's help with? "
            "(any number per category)",
        )
    ]
    for n, (zh, en, items) in enumerate(NEEDS, start=1):
        choices[f"need_c{n}"] = choices_of(
            *[(i, izh, ien) for i, (izh, ien) in enumerate(items, start=1)],
            (0, "都不需要", "None needed"),
            exclusive=[0],
        )
        need_qs.append(
            q(
                "select_multiple " + f"need_c{n}",
                f"c{n}",
                f"{n}. {zh}",
                f"{n}. {en}",
                required="yes",
                constraint="not(selected(., '0') and count-selected(.) > 1)",
                constraint_message=L(
                    "“都不需要”不能与其他选项同选", "“None needed” excludes the others"
                ),
                indicator="need",
            )
        )
    choices["need_cat"] = choices_of(*[(n, zh, en) for n, (zh, en, _) in enumerate(NEEDS, start=1)])
    chosen = (
        "concat(" + ", ".join(f"if({_need_selected(n)}, '{n} ', '')" for n in range(1, 12)) + ")"
    )
    need_qs += [
        {"type": "calculate", "name": "c_chosen", "calculation": chosen},
        {"type": "calculate", "name": "n_chosen", "calculation": "count-selected(${c_chosen})"},
        q(
            "select_one need_cat",
            "c_top1",
            "在您选的问题类别中,最迫切的是哪一类?",
            "Of the categories you chose, which is the most urgent?",
            required="yes",
            relevant="${n_chosen} >= 1",
            choice_filter="selected(${c_chosen}, name)",
        ),
        q(
            "select_one need_cat",
            "c_top2",
            "第二迫切的是哪一类?",
            "The second most urgent?",
            required="yes",
            relevant="${n_chosen} >= 2",
            choice_filter="selected(${c_chosen}, name) and name != ${c_top1}",
            constraint=". != ${c_top1}",
            constraint_message=L("三类须各不相同", "The three must differ"),
        ),
        q(
            "select_one need_cat",
            "c_top3",
            "第三迫切的是哪一类?",
            "The third most urgent?",
            required="yes",
            relevant="${n_chosen} >= 3",
            choice_filter="selected(${c_chosen}, name) and name != ${c_top1} and name != ${c_top2}",
            constraint=". != ${c_top1} and . != ${c_top2}",
            constraint_message=L("三类须各不相同", "The three must differ"),
        ),
    ]
    choices["sat5"] = choices_of(
        (1, "非常不满意", "Very dissatisfied"),
        (2, "不太满意", "Rather dissatisfied"),
        (3, "一般", "Neutral"),
        (4, "比较满意", "Rather satisfied"),
        (5, "非常满意", "Very satisfied"),
        (8, "不了解", "Do not know enough"),
        missing=[8],
    )
    sat_qs: list[Row] = [
        q(
            "select_one sat5",
            f"d{i}",
            f"您对本社区的{zh}满意吗?",
            f"How satisfied are you with {en.lower()}?",
            required="yes",
            appearance="likert",
            indicator="satisfaction",
            indicator_direction="ascending",
            indicator_index="satisfaction_index",
        )
        for i, (zh, en) in enumerate(SATISFACTION, start=1)
    ]
    sat_qs.append(
        q(
            "select_one sat5",
            "d0",
            "总体而言,您对本社区的工作满意吗?",
            "Overall, how satisfied are you with the community's work?",
            required="yes",
            appearance="likert",
            indicator="satisfaction",
            indicator_direction="ascending",
        )
    )
    choices.update(
        {
            "need4": choices_of(
                (1, "很有必要", "Very necessary"),
                (2, "有必要", "Necessary"),
                (3, "无所谓", "Indifferent"),
                (4, "没必要", "Not necessary"),
            ),
            "role4": choices_of(
                (1, "作用很大", "A large role"),
                (2, "有一些作用", "Some role"),
                (3, "基本没作用", "Hardly any role"),
                (4, "不清楚有没有", "Not sure"),
            ),
            "change3": choices_of(
                (1, "变好了", "Better"), (2, "差不多", "About the same"), (3, "变差了", "Worse")
            ),
            "coop4": choices_of(
                (1, "很好", "Very good"),
                (2, "较好", "Good"),
                (3, "较差", "Poor"),
                (4, "很差", "Very poor"),
            ),
        }
    )
    survey: list[Row] = [
        group(
            "h_roster",
            "家庭成员(过去一年在本户居住的所有人)",
            "Household members (everyone living here in the past year)",
            [
                q(
                    "text",
                    "h_name",
                    "称呼(名字或小名即可)",
                    "What do we call this person (first name or nickname)?",
                    required="yes",
                    sensitive="yes",
                    special="none",
                ),
                q("select_one sex", "h_sex", "性别", "Sex", required="yes", special="none"),
                q(
                    "integer",
                    "h_age",
                    "年龄(周岁)",
                    "Age (completed years)",
                    required="yes",
                    special="none",
                    constraint=". >= 0 and . <= 120",
                    constraint_message=L("年龄应在0到120之间", "Age must be 0 to 120"),
                ),
                q(
                    "select_one yesno",
                    "h_resident",
                    "过去一年在本户居住满6个月吗?",
                    "Lived here at least 6 months in the past year?",
                    required="yes",
                    special="none",
                ),
                {
                    "type": "calculate",
                    "name": "h_eligible",
                    "calculation": "if(${h_age} >= 18 and ${h_resident} = 1, 1, 0)",
                },
            ],
            repeat=True,
        ),
        {"type": "calculate", "name": "n_eligible", "calculation": "sum(${h_eligible})"},
        q(
            "integer",
            "resp_line",
            "被选中受访者在家庭成员表中的序号(由程序按Kish表或随机选出)",
            "Roster line of the selected respondent (chosen by the app, Kish table or random)",
            read_only="yes",
            special="none",
            relevant="${n_eligible} > 0",
            constraint=". >= 1 and . <= count(${h_name})",
            constraint_message=L("序号不在家庭成员表中", "No such line in the roster"),
        ),
        {
            "type": "calculate",
            "name": "resp_age",
            "calculation": "indexed-repeat(${h_age}, ${h_roster}, ${resp_line})",
        },
        {"type": "hidden", "name": "respondent_sex"},
        {
            "type": "calculate",
            "name": "roster_sex",
            "calculation": "if(${respondent_sex} = 'male', '1', if(${respondent_sex} = 'female', "
            "'2', indexed-repeat(${h_sex}, ${h_roster}, ${resp_line})))",
        },
        {
            "type": "calculate",
            "name": "roster_sex_label",
            "calculation": "jr:choice-name(${roster_sex}, '${a1}')",
        },
        group(
            "sec_a",
            "A. 基本情况",
            "A. Background",
            [
                q(
                    "select_one sex",
                    "a1",
                    "受访者性别",
                    "Respondent's sex",
                    required="yes",
                    default="${roster_sex}",
                    warning=". = ${roster_sex} or string(${roster_sex}) = ''",
                    warning_message=L(
                        "家庭成员表中此人的性别是“${roster_sex_label}”，请核实",
                        "The household roster says ${roster_sex_label}; please check",
                    ),
                ),
                q(
                    "integer",
                    "a2",
                    "您是哪一年出生的?",
                    "In what year were you born?",
                    required="yes",
                    constraint=f". >= 1900 and . <= {THIS_YEAR} - 18 and "
                    f"(string(${{resp_age}}) = '' or "
                    f"abs({THIS_YEAR} - . - ${{resp_age}}) <= 1)",
                    constraint_message=L(
                        "出生年份应在1900年到18年前之间,且与家庭成员表中的年龄相符(±1岁)",
                        "Year of birth must be 1900 to 18 years ago and agree with the roster "
                        "age (±1)",
                    ),
                ),
                {
                    "type": "calculate",
                    "name": "age_est",
                    "calculation": f"coalesce(${{resp_age}}, "
                    f"if(${{a2}} >= 1900, {THIS_YEAR} - ${{a2}}, ''))",
                },
                q("select_one edu", "a3", "您的文化程度", "Your education", required="yes"),
                q(
                    "select_one hukou",
                    "a4",
                    "您的户籍在",
                    "Where is your household registration?",
                    required="yes",
                ),
                {"type": "calculate", "name": "migrant", "calculation": "if(${a4} = 3, 1, 0)"},
                q(
                    "integer",
                    "a5",
                    "您在本社区住了多少年?",
                    "How many years have you lived in this community?",
                    required="yes",
                    constraint=". >= 0 and . <= 99 and "
                    "(string(${age_est}) = '' or . <= ${age_est})",
                    constraint_message=L(
                        "居住年数应在0到99之间且不超过年龄",
                        "Years must be 0 to 99 and not exceed age",
                    ),
                ),
                q("select_one housing", "a6", "您家的住房是", "Your housing is", required="yes"),
                q(
                    "text",
                    "a6_other",
                    "其他住房,请注明",
                    "Other housing, please specify",
                    required="yes",
                    relevant="${a6} = 5",
                    special="none",
                ),
                q(
                    "select_one compound",
                    "a7",
                    "您所在的小区类型",
                    "Type of your compound",
                    required="yes",
                ),
                q(
                    "select_one work",
                    "a8",
                    "您目前的就业状况",
                    "Your current work status",
                    required="yes",
                ),
            ],
        ),
        group(
            "sec_b",
            "B. 社区参与(过去12个月)",
            "B. Participation in community affairs (past 12 months)",
            [
                q(
                    "select_multiple partic",
                    "b1",
                    "过去12个月,您参加过以下哪些社区活动?",
                    "In the past 12 months, which of these have you taken part in?",
                    required="yes",
                    special="none",
                    indicator="participation",
                    constraint="not(selected(., '0') and count-selected(.) > 1)",
                    constraint_message=L(
                        "“都没有”不能与其他选项同选", "“None of these” excludes the others"
                    ),
                ),
                q(
                    "integer",
                    "b2",
                    "大约参加了几次?",
                    "About how many times?",
                    required="yes",
                    relevant="count-selected(${b1}) > 0 and not(selected(${b1}, '0'))",
                    constraint=". >= 1 and . <= 365",
                    constraint_message=L("次数应在1到365之间", "Times must be 1 to 365"),
                ),
                q(
                    "select_multiple reasons",
                    "b3",
                    "您没有参与社区事务的主要原因是?(最多选两项)",
                    "Main reasons for not taking part? (at most two)",
                    required="yes",
                    relevant="selected(${b1}, '0') or "
                    "(selected(${b1}, '6') and count-selected(${b1}) = 1)",
                    constraint="count-selected(.) <= 2",
                    constraint_message=L("最多选两项", "Choose at most two"),
                ),
                q(
                    "text",
                    "b3_other",
                    "其他原因,请注明",
                    "Other reason, please specify",
                    required="yes",
                    relevant="selected(${b3}, '7')",
                    special="none",
                ),
                q(
                    "select_one willing5",
                    "b4",
                    "今后您愿意参与社区公共事务吗?",
                    "Would you take part in community affairs in future?",
                    required="yes",
                    appearance="likert",
                    indicator="participation",
                    indicator_direction="ascending",
                ),
                q(
                    "select_one aware",
                    "b5",
                    "您知道本楼栋(小区)的楼栋长或网格员吗?",
                    "Do you know your building head or grid worker?",
                    required="yes",
                ),
                q(
                    "select_one coop",
                    "b6",
                    "您愿意配合楼栋长/网格员入户走访吗?",
                    "Would you help the building head's / grid worker's home visits?",
                    required="yes",
                ),
                q(
                    "select_one open5",
                    "b7",
                    "您觉得社区里的意见反馈渠道畅通吗?",
                    "Are the community's feedback channels open?",
                    required="yes",
                    appearance="likert",
                ),
            ],
        ),
        group("sec_c", "C. 需求", "C. Needs", need_qs),
        group("sec_d", "D. 满意度", "D. Satisfaction", sat_qs, appearance="field-list"),
        group(
            "sec_e",
            "E. 治理评价",
            "E. Evaluation of the governance model",
            [
                q(
                    "select_one need4",
                    "e1",
                    "您认为在社区推行“区—街道—社区—居民小组—楼栋”分级治理有必要吗?",
                    "Is tiered governance (district–street–community–residents' group–building) "
                    "necessary?",
                    required="yes",
                ),
                q(
                    "select_one role4",
                    "e2",
                    "居民小组长、楼栋长在您这里发挥作用了吗?",
                    "Do the residents' group leader and building head play a role for you?",
                    required="yes",
                ),
                q(
                    "select_one change3",
                    "e3",
                    "与两年前相比,社区的服务",
                    "Compared with two years ago, community services are",
                    required="yes",
                ),
            ],
        ),
        group(
            "sec_f",
            "F. 结束",
            "F. Closing",
            [
                q(
                    "text",
                    "f1",
                    "您对社区还有什么意见和建议?",
                    "Any other comments or suggestions for the community?",
                    sensitive="yes",
                    special="none",
                ),
                q(
                    "note",
                    "f_end",
                    "访问结束,谢谢您的支持!",
                    "This is the end of the interview. Thank you!",
                ),
                q(
                    "select_one coop4",
                    "f2",
                    "【访问员填写】受访者配合程度",
                    "[Interviewer] Respondent's cooperation",
                    required="yes",
                    special="none",
                ),
                q(
                    "select_one yesno",
                    "f3",
                    "【访问员填写】访问中是否有他人在场",
                    "[Interviewer] Was anyone else present?",
                    required="yes",
                    special="none",
                ),
            ],
        ),
    ]
    return {
        "settings": {
            "form_id": "resident_survey",
            "version": "2026.1",
            "default_language": "zh",
            "form_title": L(
                "社区居民需求、参与与满意度调查",
                "Community residents' needs, participation and satisfaction survey",
            ),
        },
        "languages": ["zh", "en"],
        "special_answers": [
            {"code": -8, "name": "dont_know", "label": L("不知道", "Don't know")},
            {"code": -9, "name": "refused", "label": L("拒绝回答", "Refused")},
        ],
        "choices": choices,
        "survey": survey,
    }
