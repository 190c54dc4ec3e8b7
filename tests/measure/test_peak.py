"""The peak probe: nominal figures from the CPU's flags, the GEMM probe's rate, achieved GFLOP/s."""

from __future__ import annotations

import pytest

from benchgen.measure.timing.peak_flops import (achieved_gflops, cpu_clock_ghz, cpu_flags, nominal_peak, sgemm_rate,
                                   share_of_peak)

ZEN3 = """processor : 0
vendor_id : AuthenticAMD
cpu MHz : 2445.404
flags : fpu sse sse2 avx fma avx2 bmi2
"""
SAPPHIRE = "cpu MHz\t\t: 2600.000\nflags\t\t: fpu avx fma avx2 avx512f avx512_vnni amx_int8\n"


def test_zen3_is_32_flop_per_cycle_per_core_and_avx512_twice_that():
    zen3 = nominal_peak(cpu_flags(ZEN3), cpu_clock_ghz(ZEN3), cores=2)
    assert (zen3.isa, zen3.lanes, zen3.flop_per_cycle_core) == ("AVX2+FMA", 8, 32)
    assert zen3.gflops == pytest.approx(32 * 2.445404 * 2)
    avx512 = nominal_peak(cpu_flags(SAPPHIRE), cpu_clock_ghz(SAPPHIRE), cores=2)
    assert (avx512.isa, avx512.flop_per_cycle_core, avx512.gflops) == ("AVX-512", 64, pytest.approx(332.8))
    assert nominal_peak(set(), None, 4).gflops is None  # no clock known: no nominal figure, not a guess


def test_achieved_rate_is_flops_over_the_median():
    assert achieved_gflops(1.08, 10.0) == pytest.approx(108.0)
    assert share_of_peak(1.08, 10.0, 216.0) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        achieved_gflops(1.0, 0.0)


def test_the_gemm_probe_reports_a_positive_rate_best_above_median():
    rate = sgemm_rate(1, size=128, runs=5)
    assert rate.threads == 1 and rate.runs == 5 and rate.best_gflops >= rate.median_gflops > 0


def test_the_int8_nominal_counts_the_widest_int8_unit_and_none_without_one():
    from benchgen.measure.timing.peak_flops import nominal_int8

    amx = nominal_int8(cpu_flags(SAPPHIRE), cpu_clock_ghz(SAPPHIRE), cores=2)
    assert (amx.unit, amx.ops_per_cycle_core, amx.gops) == ("AMX-INT8", 2048, pytest.approx(2048 * 2.6 * 2))
    vnni = nominal_int8({"avx512f", "avx512_vnni"}, 2.0, 1)
    assert (vnni.unit, vnni.ops_per_cycle_core) == ("AVX-512 VNNI", 256)  # 2 units x 16 lanes x 4 MACs x 2
    assert nominal_int8(cpu_flags(ZEN3), cpu_clock_ghz(ZEN3), 2) is None  # Zen 3: no VNNI, no figure


def test_the_int8_probe_multiplies_integers_and_reports_a_rate():
    import numpy as np
    import onnxruntime as ort

    from benchgen.measure.timing.peak_flops import gemm_feeds, matmul_model

    feeds = gemm_feeds(16, "int8")
    session = ort.InferenceSession(matmul_model(16, "int8"), providers=["CPUExecutionProvider"])
    (product,) = session.run(None, feeds)
    assert product.dtype == np.int32
    assert np.array_equal(product, feeds["a"].astype(np.int32) @ feeds["b"].astype(np.int32))  # exact, no rounding
    rate = sgemm_rate(1, size=128, runs=5, precision="int8")
    assert rate.best_gflops >= rate.median_gflops > 0
