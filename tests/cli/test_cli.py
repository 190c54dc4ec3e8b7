import pytest

from benchgen.cli import VERB_MODULES, build_parser, main


def _verbs():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "verb")
    return sorted(action.choices)


def test_every_verb_module_registers():
    assert len(_verbs()) >= len([m for m in VERB_MODULES])


@pytest.mark.parametrize("verb", _verbs())
def test_help_on_every_verb(verb, capsys):
    with pytest.raises(SystemExit) as info:
        main([verb, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: benchgen " + verb in out
    assert "%%" not in out  # argparse does not unescape descriptions


def test_sources_lists_disagreements(capsys):
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "damo-yolo-t latency_trt_ms" in out and "2.78" in out and "2.32" in out
    assert "rtdetrv2-x latency_trt_ms" in out and "13.51" in out and "15.03" in out


def test_render_writes_pages(tmp_path, capsys):
    docs = tmp_path / "docs"
    assert main(["render", "--docs", str(docs), "--results", str(tmp_path / "none")]) == 0
    assert (docs / "compare" / "damo-yolo-vs-rtdetrv2.md").is_file()
    assert (docs / "assets" / "vendor" / "chart.umd.min.js").is_file()
    assert "rendered" in capsys.readouterr().out


def test_bad_registry_is_one_clean_error(tmp_path, capsys):
    (tmp_path / "broken.yaml").write_text("id: x\n")
    assert main(["render", "--registry", str(tmp_path), "--docs", str(tmp_path / "docs")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("benchgen: error: ") and "broken.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "docs" / "index.md").exists()
