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
    assert code == 2
    assert "no language 'fr'" in capsys.readouterr().err


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
