"""Temporary files of killed writers are cleaned by the next write; live writers' files are not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchgen.atomic_files import STALE_AFTER_S, reserve_temp_path
from tests.conftest import REPO

RESERVE = ("import sys; from pathlib import Path; from benchgen.atomic_files import reserve_temp_path; "
           "print(reserve_temp_path(Path(sys.argv[1])), flush=True); ")


def _temps(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_the_orphan_of_a_sigkilled_writer_is_removed_by_the_next_write(tmp_path):
    killed = subprocess.run([sys.executable, "-c", RESERVE + "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
                             str(tmp_path / "model.onnx")], cwd=REPO, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL
    orphan = Path(killed.stdout.strip())
    assert orphan.exists() and orphan.stat().st_size == 0

    fresh = reserve_temp_path(tmp_path / "other.onnx")  # another target in the same directory
    assert _temps(tmp_path) == [fresh]


def test_a_live_writers_temporary_file_is_kept(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", RESERVE + "import time; time.sleep(60)", str(tmp_path / "m.onnx")],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        theirs = Path(writer.stdout.readline().strip())
        mine = reserve_temp_path(tmp_path / "m.onnx")
        assert _temps(tmp_path) == sorted([theirs, mine])
    finally:
        writer.kill()
        writer.wait()


def test_old_temporaries_go_whoever_wrote_them_and_other_files_stay(tmp_path):
    old = tmp_path / ".m.onnx.0123456789ab.tmp"  # the naming before writers were recorded
    recent = tmp_path / ".n.onnx.ba9876543210.tmp"
    foreign = tmp_path / ".editor-swap.tmp"  # not a name this module makes
    for path in (old, recent, foreign):
        path.write_bytes(b"")
    past = time.time() - STALE_AFTER_S - 60
    os.utime(old, (past, past))
    os.utime(foreign, (past, past))
    mine = reserve_temp_path(tmp_path / "m.onnx")
    assert _temps(tmp_path) == sorted([recent, foreign, mine])


@pytest.mark.slow
def test_sigterm_during_export_leaves_no_temporary_file(tmp_path):
    output = tmp_path / "out" / "damo.onnx"
    env = {**os.environ, "BENCHGEN_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "benchgen", "export", "damo-yolo-t", "--output", str(output)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (output.parent.is_dir() and _temps(output.parent)) and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the export ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "benchgen: interrupted"
    assert list(output.parent.iterdir()) == []
