"""`benchgen peak --save`: both probes stored beside the machine's results, as the pages read them."""

from __future__ import annotations

from benchgen.cli import main
from benchgen.results.peaks import load_peaks
from benchgen.results.provenance import current_machine


def test_peak_saves_the_fp32_and_int8_probes_the_pages_read(tmp_path, capsys):
    assert main(["peak", "--save", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "FP32 GEMM probe" in out and "INT8 GEMM probe" in out and "nominal INT8:" in out
    peaks = load_peaks(tmp_path)[current_machine().id]
    assert set(peaks) == {"fp32", "int8"} and all(v > 0 for v in peaks.values())
