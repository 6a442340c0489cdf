"""Words of the analysis report in Chinese and English."""

from __future__ import annotations

__all__ = ["t", "type_label"]

#: English names of the community classes of the example district (DESIGN.md).
_TYPES_EN = {"示范类": "Model", "创优类": "Striving", "强基类": "Foundation"}


def type_label(value: str, lang: str) -> str:
    """A community class in the report's language (other classes as given)."""
    return _TYPES_EN.get(value, value) if lang == "en" else value

_METHOD_ZH = ("加权估计（最终权数 = 基础权数 × 无回答调整 × 校准）；方差按 Taylor 线性化，"
              "分层、以社区为初级抽样单位（单一 PSU 的层按 adjust 规则处理）；95% 置信区间，"
              "比例用 logit 区间，均值用 Wald 区间。")
_METHOD_EN = ("Weighted estimates (final weight = base x nonresponse x calibration); Taylor-"
              "linearised variances with strata and communities as primary sampling units (lonely "
              "PSUs: adjust); 95% intervals, logit for proportions, Wald for means.")

_T: dict[str, tuple[str, str]] = {
    "title": ("社区居民需求、参与与满意度调查 分析报告",
              "Community residents' needs, participation and satisfaction survey: report"),
    "generated": ("生成日期：{date}　数据：{db}；权数：{weights}",
                  "Date: {date}. Data: {db}; weights: {weights}"),
    "summary": ("发放样本 {cases} 户，完成访问 {resp} 份（有效加权 {wresp} 份），"
                "AAPOR 应答率 RR1 = {rr1}%，RR3 = {rr3}%。",
                "{cases} households issued, {resp} interviews ({wresp} with a weight); AAPOR "
                "response rate RR1 = {rr1}%, RR3 = {rr3}%."),
    "method": ("方法：" + _METHOD_ZH, "Method: " + _METHOD_EN),
    "font_note": ("中文字体：{font}。", "Font for Chinese text: {font}."),
    "font_embedded": ("已嵌入本文件", "embedded in this file"),
    "font_cid": ("阅读器自带的宋体（未嵌入）", "the reader's own Song face (not embedded)"),
    "variance": ("方差估计：{v}。", "Variance estimation: {v}."),
    "variance_taylor": ("Taylor 线性化，分层、以社区为初级抽样单位（放回近似），权数视为固定",
                        "Taylor linearisation with strata and communities as PSUs (with-"
                        "replacement approximation), the weights taken as fixed"),
    "variance_calibrated": ("Taylor 线性化，分层、以社区为初级抽样单位，并计入校准"
                            "（以校准变量回归残差计算，同 R survey 的 calibrate/rake）",
                            "Taylor linearisation with strata and communities as PSUs, "
                            "with the calibration in the variance (residuals on the calibration "
                            "variables, as R survey's calibrate/rake)"),
    "note_unfinished": ("{k} 份访问未完成（中断或不是该户的最终结果），不计为受访者",
                        "{k} unfinished interview(s) (broken off, or not the case's final "
                        "outcome) are not counted as respondents"),
    "note_unweighted": ("{k} 位受访者在权数文件中没有正权数，未计入估计",
                        "{k} respondent(s) have no positive weight in the weights file and are "
                        "left out of the estimates"),
    "note_device": ("权数文件中有 {k} 位受访者不在本数据库中（给出的是单台设备的数据库？）",
                    "{k} weighted respondent(s) of the weights file are not in this store (a "
                    "device's store instead of the merged central.sqlite?)"),
    "unit_persons": ("成年居民人数", "adult residents (persons)"),
    "unit_households": ("户数", "households"),
    "kind_satisfaction": ("满意度指标", "satisfaction indicators"),
    "kind_participation": ("参与指标", "participation indicators"),
    "kind_need": ("需求指标", "need indicators"),
    "kind_type": ("社区类型与综合满意度指数", "community type and the composite index"),
    "h_key": ("要点", "Key findings"),
    "key_rates": ("样本 {cases} 户，完成访问 {i} 份、部分完成 {p} 份；AAPOR 应答率 RR1 = {rr1}%，"
                  "RR3 = {rr3}%，合作率 COOP1 = {coop}%。",
                  "{cases} households issued; {i} complete and {p} partial interviews; AAPOR "
                  "response rate RR1 = {rr1}%, RR3 = {rr3}%; cooperation rate COOP1 = {coop}%."),
    "key_index": ("综合满意度指数（{k} 个方面，0–100）为 {v}（95% 置信区间），n = {n}。",
                  "Composite satisfaction index ({k} areas, 0–100): {v} (95% CI), n = {n}."),
    "key_part": ("过去 12 个月参加过至少一项社区活动的居民占 {v}%（95% 置信区间），n = {n}。",
                 "Took part in at least one community activity in the past 12 months: {v}% "
                 "(95% CI), n = {n}."),
    "key_needs": ("最迫切的三项需求（需要社区帮助解决的比例 % [95% CI]）：{items}。",
                  "The three most pressing needs (share naming each, % [95% CI]): {items}."),
    "key_comm": ("{k} 个社区中，综合满意度指数的 95% 置信区间整体高于全区（{d}）的有 {above} 个，"
                 "整体低于全区的有 {below} 个；其余与全区无显著差异。",
                 "Of {k} communities, {above} have a composite index whose 95% CI lies above "
                 "the district's ({d}) and {below} below it; the others do not differ "
                 "significantly."),
    "t_comm": ("综合满意度指数最高与最低的社区", "Communities with the highest and lowest index"),
    "comm_note": ("各社区的估计以该社区为总体（社区作为层、受访户为单位，最终权数），95% 置信"
                  "区间；与全区值 {d} 比较。每社区受访者不多，区间较宽，排名宜谨慎。",
                  "Each community's estimate takes the community as the population (the "
                  "community a stratum, its respondents the units, final weights), 95% CI, "
                  "compared with the district's {d}. With few respondents per community the "
                  "intervals are wide; rank with care."),
    "eblup_ci": ("小区域模型估计 [95% CI]", "Model-based (EBLUP) [95% CI]"),
    "sae_note": ("模型估计为 Fay–Herriot 面积层模型的 EBLUP（REML，均方误差按 Prasad–Rao），"
                 "借用辅助变量 {aux} 与其他社区的信息，是模型估计而非直接估计；排名宜看模型"
                 "估计，显著性判断仍以直接估计为准。",
                 "Model-based figures are Fay-Herriot area-level EBLUPs (REML, Prasad-Rao MSE) "
                 "borrowing strength from the auxiliaries {aux} and the other communities; they "
                 "are model-based, not direct. Rank on them; the above/below marks use the "
                 "direct intervals."),
    "vs_district": ("与全区相比", "Versus the district"),
    "above": ("高于全区", "above"),
    "below": ("低于全区", "below"),
    "not_diff": ("无显著差异", "not different"),
    "any_activity": ("参加过至少一项", "Any of these"),
    "notes": ("说明：{notes}", "Notes: {notes}"),
    "figure": ("图{n}", "Figure {n}."),
    "table": ("表{n}", "Table {n}."),
    "base": ("基数：n = {n} 位受访者（加权推及{unit} {N:,.0f}）。" + _METHOD_ZH,
             "Base: n = {n} respondents (weighted total {N:,.0f} {unit}). " + _METHOD_EN),
    "h_fieldwork": ("一、实地执行与应答", "1. Fieldwork and participation"),
    "unweighted": ("未加权", "Unweighted"),
    "base_weighted": ("按基础权数加权", "Base-weighted"),
    "t_rates": ("AAPOR 最终处置分类与应答率（全部样本）",
                "AAPOR final dispositions and outcome rates (all cases)"),
    "rates_note": ("基数：已发放样本 {n} 户（每户一个最终处置代码）。I 完成，P 部分完成，R 拒访，"
                   "NC 未接触，O 其他合格未访，UH/UO 合格性未知，NE 不合格。"
                   "e = {e:.3f}（{basis}）。公式见 AAPOR Standard Definitions。",
                   "Base: {n} issued cases (one final disposition each). I complete, P partial, "
                   "R refusal, NC non-contact, O other, UH/UO unknown eligibility, NE not "
                   "eligible. e = {e:.3f} ({basis}). Formulas: AAPOR Standard Definitions."),
    "f_rr_by_community": ("各社区应答率 RR1", "Response rate RR1 by community"),
    "f_rr_by_interviewer": ("各访员应答率 RR1", "Response rate RR1 by interviewer"),
    "rr_note": ("未加权，RR1 = I /（I+P+R+NC+O+UH+UO）。",
                "Unweighted; RR1 = I / (I+P+R+NC+O+UH+UO)."),
    "t_by_community": ("各社区样本与应答率", "Cases and rates by community"),
    "t_by_interviewer": ("各访员样本与应答率", "Cases and rates by interviewer"),
    "rates_group_note": ("未加权；e 由全部样本估计。", "Unweighted; e estimated from all cases."),
    "by_community": ("社区", "Community"),
    "by_interviewer": ("访员", "Interviewer"),
    "cases": ("样本户", "Cases"),
    "interviews": ("完成访问", "Interviews"),
    "h_weights": ("二、样本与权数", "2. The sample and the weights"),
    "t_weights": ("最终权数的分布与设计效应", "Final weights: spread and design effect"),
    "weights_note": ("Kish 设计效应 deff = 1 + CV²，有效样本量 = (Σw)² / Σw²（Kish 1965）。",
                     "Kish's design effect deff = 1 + CV², effective n = (Σw)² / Σw² (Kish 1965)."),
    "w_n": ("权数 > 0 的受访者", "Respondents with weight > 0"),
    "w_total": ("权数总和（推及{unit}）", "Sum of weights ({unit} represented)"),
    "w_min": ("最小值", "Minimum"),
    "w_median": ("中位数", "Median"),
    "w_max": ("最大值", "Maximum"),
    "w_ratio": ("最大值 / 中位数", "Maximum / median"),
    "w_cv": ("变异系数 CV", "Coefficient of variation"),
    "w_deff": ("Kish 设计效应 1 + CV²", "Kish deff 1 + CV²"),
    "w_neff": ("有效样本量", "Effective sample size"),
    "statistic": ("统计量", "Statistic"),
    "value": ("数值", "Value"),
    "f_weights": ("最终权数的分布", "Distribution of the final weights"),
    "weight_axis": ("最终权数", "Final weight"),
    "h_satisfaction": ("三、满意度", "3. Satisfaction"),
    "missing_items": ("问卷未声明{items}，或数据中没有相应题目，本节从略。",
                      "The questionnaire declares no {items}, or the data lack them; section "
                      "left out."),
    "f_sat": ("各方面满意比例（比较满意 + 非常满意）及 95% 置信区间",
              "Share satisfied (4 + 5) by area, with 95% intervals"),
    "sat_note": ("各题有效回答 {lo}–{hi} 人（“不了解”、不知道、拒答不计入）。",
                 "Valid answers per item {lo}–{hi} ('don't know', refusals excluded)."),
    "top2_axis": ("满意比例 %", "Share satisfied %"),
    "composite": ("综合满意度指数（{k} 个方面）", "Composite index ({k} areas)"),
    "t_sat": ("满意度：满意比例、平均分与 0–100 指数",
              "Satisfaction: share satisfied, mean, index"),
    "sat_table_note": ("满意比例 % [95% CI]；平均分（标准误），1–5 分；"
                       "指数 = (均值 − 1) / 4 × 100；"
                       "deff 为满意比例的设计效应。",
                       "Share % [95% CI]; mean (SE) on 1–5; index = (mean − 1) / 4 × 100; deff of "
                       "the share."),
    "item": ("项目", "Item"),
    "top2": ("满意比例 % [95% CI]", "Share % [95% CI]"),
    "mean_se": ("平均分（SE）", "Mean (SE)"),
    "index": ("指数", "Index"),
    "h_participation": ("四、社区参与", "4. Participation in community affairs"),
    "f_part": ("参与比例：{q}", "Share taking part: {q}"),
    "prop_note": ("比例 %，95% logit 置信区间。", "Percent, 95% logit intervals."),
    "willing": ("{q} 选择最高两档的比例为 {p}%（95% CI {lo}–{hi}，n = {n}）。",
                "{q} Top two points: {p}% (95% CI {lo}–{hi}, n = {n})."),
    "h_needs": ("五、居民需求排序", "5. Ranking of needs"),
    "f_needs": ("{k} 项需求：需要社区帮助解决的家庭比例",
                "The {k} needs: share of households naming each"),
    "t_needs": ("需求排序", "Needs ranked"),
    "rank": ("排序", "Rank"),
    "category": ("类别", "Category"),
    "share_ci": ("比例 % [95% CI]", "Share % [95% CI]"),
    "h_type": ("六、分社区类型的结果", "6. Results by community type"),
    "f_type": ("各类型社区的综合满意度指数", "Composite satisfaction index by community type"),
    "type_note": ("域估计（不删除 PSU）。", "Domain estimates (no PSU dropped)."),
    "index_axis": ("综合满意度指数（0–100）", "Composite index (0–100)"),
    "t_type": ("分社区类型的满意度", "Satisfaction by community type"),
    "ctype": ("社区类型", "Community type"),
    "index_ci": ("综合指数 [95% CI]", "Index [95% CI]"),
    "overall_top2": ("总体满意比例 % [95% CI]", "Overall satisfied % [95% CI]"),
    "weighted_n": ("加权推及{unit}", "Weighted total ({unit})"),
    "page": ("第 {p} 页", "Page {p}"),
}


def t(key: str, lang: str, **fmt: object) -> str:
    """The text for ``key`` in ``lang`` (``zh``/``en``), formatted with ``fmt``."""
    zh, en = _T[key]
    s = zh if lang == "zh" else en
    return s.format(**fmt) if fmt else s
