"""Library chatter goes to the log under the cache, not the terminal; exceptions still propagate."""

from __future__ import annotations

import os
import warnings

import pytest

from benchgen import library_output


def test_warnings_and_raw_stderr_land_in_the_log(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path))
    with library_output.to_log("export of tiny") as captured:
        warnings.warn("Converting a tensor to a Python boolean might cause the trace to be incorrect")
        os.write(2, b"[W shape_type_inference.cpp] a C++ diagnostic\n")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = library_output.log_path().read_text()
    assert "export of tiny" in text and "a C++ diagnostic" in text and "might cause the trace" in text
    assert captured.warnings == 1 and captured.bytes_written > 0
    assert captured.note() == f"1 library warning(s) written to {library_output.log_path()}"


def test_silence_says_nothing_and_errors_still_raise(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path))
    with library_output.to_log("quiet step") as captured:
        pass
    assert captured.note() == ""
    with pytest.raises(ValueError, match="bad weights"):
        with library_output.to_log("failing step"):
            raise ValueError("bad weights")
    os.write(2, b"after\n")  # stderr is the terminal again
    assert "after" in capfd.readouterr().err
