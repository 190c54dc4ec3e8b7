"""Latency: the timers (ONNX Runtime and OpenVINO on the CPU, TensorRT and PyTorch on the GPU), the
interleaved rounds, their statistics, and what judges a timing window (contention, machine load,
the calibration probe, GPU clocks), plus the figures taken beside a timing (peak memory, peak FLOP/s).

Modules are imported by their users, not here, so importing the package stays cheap."""
