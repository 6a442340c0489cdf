"""Analysis report PDF: sections, numbers against hand computations, languages, errors, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reports_data import NAMES, make_store
from pypdf import PdfReader

from fieldsurvey.cli.main import main
from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.reports.analysis import write_report


def _text(path) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    db = d / "central.sqlite"
    sample, weights = make_store(db, n_comm=4, per=15)
    wpath = d / "weights.csv"
    weights.to_csv(wpath, index=False)
    out = d / "report.pdf"
    calls = []
    res = write_report(db, wpath, out, date="2026-11-21", progress=lambda *a: calls.append(a))
    return d, db, wpath, sample, weights, res, calls


def test_report_sections_and_bases(survey):
    _, _, _, sample, weights, res, calls = survey
    text = _text(res.path)
    for heading in ("要点", "实地执行与应答", "样本与权数", "满意度", "社区参与", "居民需求排序",
                    "分社区类型的结果"):
        assert heading in text
    for name in NAMES[:4]:
        assert name in text
    assert "王芳" in text and "李强" in text  # rates by interviewer
    assert "物业服务" in text and "监控全覆盖、更清晰" in text
    assert f"n = {len(weights)} 位受访者" in text  # every figure states its base
    assert text.count("Taylor") >= res.figures - 2  # ... and its method
    assert res.respondents == len(weights) and res.cases == len(sample)
    assert res.figures >= 6 and res.tables >= 6
    assert calls[-1] == ("report", 7, 7)
    assert "2026-11-21" in text


def test_response_rate_matches_hand_count(survey):
    _, db, _, sample, weights, res, _ = survey
    from fieldsurvey.weights.io import read_store_cases

    cases = read_store_cases(db)
    cat = cases["category"]
    i = (cat == "I").sum()
    rr1 = i / (~cat.isin(["NE"])).sum()
    assert f"RR1 = {100 * rr1:.1f}%" in _text(res.path)


def test_overall_satisfaction_matches_weighted_share(survey):
    d, db, _, _, weights, res, _ = survey
    from fieldsurvey.store.export import answers_frame

    ans = answers_frame(db).frame.merge(weights, on="dwelling_id")
    d0 = pd.to_numeric(ans["d0"])
    valid = d0.between(1, 5)
    share = (ans.loc[valid, "weight"] * (d0[valid] >= 4)).sum() / ans.loc[valid, "weight"].sum()
    text = _text(res.path).replace("\n", "")
    assert f"工作满意吗?{100 * share:.1f}" in text  # the item's label comes from the form


def test_needs_are_ranked_by_weighted_share(survey):
    _, db, _, _, weights, res, _ = survey
    from fieldsurvey.store.export import answers_frame

    ans = answers_frame(db, language="zh")
    f = ans.frame.merge(weights, on="dwelling_id")
    cols = [c for c in f.columns if c[:1] == "c" and "_" in c and c.split("_")[1] not in ("0",)
            and c.split("_")[0][1:].isdigit()]
    shares = {c: np.average(pd.to_numeric(f[c]).fillna(0), weights=f["weight"]) for c in cols}
    best = max(shares, key=shares.get)
    item = ans.variable_labels[best].split(": ", 1)[1]
    assert len(cols) == 31
    assert f"1. {item}" in _text(res.path)


def test_metadata_and_page_count(survey):
    _, _, _, _, _, res, _ = survey
    reader = PdfReader(str(res.path))
    assert len(reader.pages) == res.pages >= 3
    assert res.font.description in reader.metadata.subject


def test_english_and_cid_fallback(survey, tmp_path):
    _, db, wpath, _, _, _, _ = survey
    res = write_report(db, wpath, tmp_path / "en.pdf", lang="en", font="STSong-Light",
                       date="2026-11-21")
    text = _text(res.path)
    assert "Fieldwork and participation" in text and "Ranking of needs" in text
    assert "Key findings" in text
    for who in ("王芳", "李强", "张伟"):  # interviewer ids are data, printed as given
        text = text.replace(who, "")
    han = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    assert not han, "".join(han[:40])  # no Chinese in the English report
    assert not res.font.embedded
    assert "STSong-Light" in PdfReader(str(res.path)).metadata.subject


def test_bad_weights_files(survey, tmp_path):
    _, db, _, _, weights, _, _ = survey
    out = tmp_path / "r.pdf"
    bad = tmp_path / "bad.csv"
    weights.rename(columns={"weight": "w"}).to_csv(bad, index=False)
    with pytest.raises(ColumnError, match="weights file lacks"):
        write_report(db, bad, out)
    neg = weights.copy()
    neg.loc[2, "weight"] = -1
    neg.to_csv(bad, index=False)
    with pytest.raises(InputError, match="negative") as exc:
        write_report(db, bad, out)
    assert exc.value.row == 4
    other = weights.assign(dwelling_id="X-" + weights["dwelling_id"])
    other.to_csv(bad, index=False)
    with pytest.raises(InputError, match="for another sample"):
        write_report(db, bad, out)
    # this store is a device's (its own cases only): other weighted cases are a note
    mixed = weights.copy()
    mixed.loc[0, "dwelling_id"] = "X-1"
    mixed.to_csv(bad, index=False)
    res = write_report(db, bad, out)
    assert any("不在本数据库中" in n for n in res.notes)
    out.unlink()
    with pytest.raises(InputError, match="does not exist"):
        write_report(tmp_path / "none.sqlite", bad, out)
    assert not out.exists()


def test_cli_report(survey, tmp_path, capsys):
    _, db, wpath, _, _, _, _ = survey
    out = tmp_path / "cli.pdf"
    code = main(["report", "--db", str(db), "--weights", str(wpath), "--out", str(out),
                 "--date", "2026-11-21"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Chinese text uses" in err and "pages" in err
    assert out.exists()
    code = main(["report", "--db", str(db), "--weights", str(tmp_path / "no.csv"),
                 "--out", str(out)])
    assert code == 2
    assert "weights file does not exist" in capsys.readouterr().err
