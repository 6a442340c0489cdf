"""``fieldsurvey form check`` and ``fieldsurvey form preview``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldsurvey.cli.main import main


def test_check_prints_structure(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["form", "check", str(repo_root / "questionnaires" / "resident_survey.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "form_id: resident_survey" in out
    assert "[repeat] h_roster" in out and "sensitive: h_name, f1" in out
    assert "OK:" in out


@pytest.mark.parametrize("lang, text", [("zh", "您的文化程度"), ("en", "Your education")])
def test_preview_in_language(
    repo_root: Path, capsys: pytest.CaptureFixture[str], lang: str, text: str
) -> None:
    assert (
        main(
            [
                "form",
                "preview",
                str(repo_root / "questionnaires" / "resident_survey.yaml"),
                "--lang",
                lang,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert text in out
    assert "[ask if count-selected(${b1}) > 0" in out


def test_preview_unknown_language(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "form",
            "preview",
            str(repo_root / "questionnaires" / "contact_module.xlsx"),
            "--lang",
            "fr",
        ]
    )
    assert code == 0  # a warning, and the form's own language is shown
    captured = capsys.readouterr()
    assert "no language 'fr'" in captured.err and "warning" in captured.err
    assert captured.out.strip()


def test_check_bad_form_is_one_paragraph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "survey:\n  - {type: integer, name: a, relevant: '${b} = 1'}\n", encoding="utf-8"
    )
    assert main(["form", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fieldsurvey form: error:")
    assert "row 1" in err and "field 'relevant'" in err and "${b} refers to no question" in err
    assert "Traceback" not in err


def test_check_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["form", "check", str(tmp_path / "nope.xlsx")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_lists_every_error_and_warning_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "settings: {default_language: fr}\n"
        "survey:\n"
        "  - {type: integer, name: a, label: {en: A}, relevant: '${b} = 1'}\n"
        "  - {type: begin loop, name: lp, label: {en: L}}\n"
        "  - {type: integer, name: c, label: {en: C}, constraint: '. >'}\n"
        "  - {type: text, name: d, label: {en: D}, calculation: 'area(${a})'}\n",
        encoding="utf-8",
    )
    assert main(["form", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "4 errors in this form" in err
    assert "${b} refers to no question" in err and "begin loop" in err
    assert "not supported: function area()" in err and "row 3" in err
    assert "syntax error" in err  # '. >' is one
    assert "1 warning" in err and "default_language 'fr'" in err


def test_check_warnings_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = tmp_path / "ok.yaml"
    ok.write_text(
        "settings: {default_language: fr}\n"
        "survey:\n  - {type: integer, name: a, label: {en: A, zh: 甲}}\n",
        encoding="utf-8",
    )
    assert main(["form", "check", str(ok)]) == 0
    captured = capsys.readouterr()
    assert "1 warning" in captured.err and "OK:" in captured.out


def test_check_help_says_what_is_supported(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["form", "check", "--help"])
    out = capsys.readouterr().out
    assert "geopoint" in out and "not supported" in out and "pulldata" in out


def test_preview_lists_special_answers_only_when_declared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("survey:\n  - {type: integer, name: a, label: A}\n", encoding="utf-8")
    assert main(["form", "preview", str(plain)]) == 0
    out = capsys.readouterr().out
    assert "-8" not in out and "不知道" not in out
