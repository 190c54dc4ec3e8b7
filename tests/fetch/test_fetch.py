"""The fetch layer against a web server on 127.0.0.1: mirrors, verification, trust on first use,
interrupted transfers, and a refresh that opens no connection without --fetch."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from benchgen.cli import main
from tests.conftest import SHARED, family_doc, variant_doc, write_registry
from tests.fetch.server import LocalServer
from tests.measure.builders import build_tiny_yolox_onnx

REL = "models/tiny/tiny.onnx"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A project root with no ../shared beside it, its own data directory, lock and caches."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("BENCHGEN_ROOT", str(root))
    monkeypatch.setenv("BENCHGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BENCHGEN_FETCH_LOCK", str(tmp_path / "fetch-lock.json"))
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCHGEN_MACHINE_ID", "cpu-test-fetch")
    monkeypatch.delenv("BENCHGEN_MIRROR", raising=False)
    return tmp_path


def tiny_registry(directory, url: str):
    doc = variant_doc("tiny-0", "s", 30.0, 1.0, 1.0)
    doc.update(input_size=64, download={"path": REL, "url": url, "read_from": "a test"})
    return write_registry(directory, [family_doc("tiny", "Tiny", [doc], implementation=None, decoder="yolox")])


def fetch(*args) -> int:
    return main(["fetch", *args])


def lock(env) -> dict:
    return json.loads((env / "fetch-lock.json").read_text())["files"]


def error_lines(err: str) -> list[str]:
    """The error lines (the progress bar and "fetching" notes are not errors)."""
    return [line for line in err.splitlines() if "error" in line.lower()]


def leftovers(env) -> list[str]:
    data = env / "data"
    return sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file()) if data.exists() else []


def test_first_download_from_the_official_url_is_recorded_then_enforced(env, capsys):
    onnx = build_tiny_yolox_onnx(env / "tiny.onnx", input_size=64).read_bytes()
    with LocalServer() as server:
        server.state.files["/official/tiny.onnx"] = onnx
        registry = tiny_registry(env / "reg", server.url + "official/tiny.onnx")
        assert fetch("tiny-0", "--registry", str(registry)) == 0
        entry, = lock(env)[REL]
        assert entry["sha256"] == hashlib.sha256(onnx).hexdigest() and entry["how"] == "first use"
        assert entry["source"] == server.url + "official/tiny.onnx"
        assert "trust on first use" in capsys.readouterr().err
        assert (env / "data" / REL).read_bytes() == onnx

        # the official URL now serves other bytes: refused, in one line, and the cache copy is kept
        (env / "data" / REL).unlink()
        server.state.files["/official/tiny.onnx"] = onnx[:-1] + b"\0"
        assert fetch("tiny-0", "--registry", str(registry)) == 2
        err = error_lines(capsys.readouterr().err)
        assert len(err) == 1 and "refused and removed" in err[0] and REL in err[0]
        assert leftovers(env) == []
        assert len(lock(env)[REL]) == 1


def test_a_mirror_url_puts_the_verified_file_in_the_data_dir(env, capsys):
    onnx = build_tiny_yolox_onnx(env / "tiny.onnx", input_size=64).read_bytes()
    with LocalServer() as server:
        server.state.files["/official/tiny.onnx"] = onnx
        server.state.files["/mirror/" + REL] = onnx
        registry = tiny_registry(env / "reg", server.url + "official/tiny.onnx")
        assert fetch("tiny-0", "--registry", str(registry)) == 0  # records the checksum
        (env / "data" / REL).unlink()
        server.state.requests.clear()
        assert fetch("tiny-0", "--registry", str(registry), "--mirror", server.url + "mirror/") == 0
        assert server.state.requests == ["/mirror/" + REL]  # the mirror first, the official URL not needed
        assert (env / "data" / REL).read_bytes() == onnx


def test_a_corrupted_mirror_copy_is_refused_and_leaves_nothing(env, capsys):
    onnx = build_tiny_yolox_onnx(env / "tiny.onnx", input_size=64).read_bytes()
    (env / "fetch-lock.json").write_text(json.dumps({"schema_version": 1, "files": {REL: [
        {"sha256": hashlib.sha256(onnx).hexdigest(), "size": len(onnx), "source": "a test", "how": "recorded",
         "date": "2026-12-07"}]}}))
    with LocalServer() as server:
        server.state.files["/mirror/" + REL] = onnx.replace(b"\x00", b"\x01", 1)
        registry = tiny_registry(env / "reg", server.url + "official/tiny.onnx")
        capsys.readouterr()
        assert fetch("tiny-0", "--registry", str(registry), "--mirror", server.url + "mirror/") == 2
        err, = error_lines(capsys.readouterr().err)
        assert err.startswith("benchgen: error: " + REL) and "none of the accepted checksums" in err
        assert leftovers(env) == []
        assert "/official/tiny.onnx" not in server.state.requests  # refused, not papered over


def test_an_interrupted_transfer_leaves_nothing_under_the_final_name(env, capsys):
    onnx = build_tiny_yolox_onnx(env / "tiny.onnx", input_size=64).read_bytes()
    with LocalServer() as server:
        server.state.files["/official/tiny.onnx"] = onnx
        server.state.truncate.add("/official/tiny.onnx")
        registry = tiny_registry(env / "reg", server.url + "official/tiny.onnx")
        assert fetch("tiny-0", "--registry", str(registry)) == 2
        err, = error_lines(capsys.readouterr().err)
        assert "could not be fetched" in err and "--mirror" in err and server.url + "official/tiny.onnx" in err
        assert not (env / "data" / REL).exists() and leftovers(env) == []
        assert not (env / "fetch-lock.json").exists()  # nothing was accepted


def test_without_network_or_mirror_one_line_names_file_url_and_mirror(env, capsys):
    with LocalServer() as server:
        url = server.url + "official/tiny.onnx"
    registry = tiny_registry(env / "reg", url)  # the server is gone: connection refused
    assert fetch("tiny-0", "--registry", str(registry)) == 2
    err, = error_lines(capsys.readouterr().err)
    assert REL in err and url in err and "--mirror URL|DIR" in err


def test_refresh_without_fetch_opens_no_connection_and_groups_the_skip(env, capsys):
    onnx = build_tiny_yolox_onnx(env / "tiny.onnx", input_size=64).read_bytes()
    with LocalServer() as server:
        server.state.files["/official/tiny.onnx"] = onnx
        server.state.files["/mirror/" + REL] = onnx
        registry = tiny_registry(env / "reg", server.url + "official/tiny.onnx")
        capsys.readouterr()
        assert main(["refresh", "--registry", str(registry), "--no-builtin", "--dry-run",
                     "--mirror", server.url + "mirror/"]) == 0
        err = " ".join(capsys.readouterr().err.split())
        assert server.state.requests == []
        assert err.count("benchgen fetch tiny-0") == 1 and "--mirror URL|DIR" in err
        assert "skipped 3 measurement(s) of 1 variant(s)" in err

        # once fetched it is planned (no dataset here, so its accuracy is what the one line names)
        assert main(["fetch", "tiny-0", "--registry", str(registry)]) == 0  # official URL: first use
        capsys.readouterr()
        assert main(["refresh", "--registry", str(registry), "--no-builtin", "--dry-run"]) == 0
        out, err = capsys.readouterr()
        assert "run  tiny-0 size" in out and "benchgen fetch" in err  # the dataset is what is missing now
        assert "--dataset coco-val2017-tiny80" in " ".join(err.split())


@pytest.mark.skipif(not (SHARED / "models" / "yolox-nano" / "yolox_nano.onnx").is_file(), reason="needs ../shared")
def test_yolox_nano_from_shared_served_as_a_mirror(env, capsys, tmp_path, monkeypatch):
    """The issue's check: a local server serving ../shared/ as a mirror; the committed lock accepts it."""
    from tests.conftest import REPO

    shutil.copyfile(REPO / "results" / "fetch-lock.json", env / "fetch-lock.json")
    with LocalServer() as server:
        shipped = (SHARED / "models" / "yolox-nano" / "yolox_nano.onnx").read_bytes()
        server.state.files["/models/yolox-nano/yolox_nano.onnx"] = shipped
        assert fetch("yolox-nano", "--mirror", server.url) == 0
        assert server.state.requests == ["/models/yolox-nano/yolox_nano.onnx"]
    fetched = env / "data" / "models" / "yolox-nano" / "yolox_nano.onnx"
    assert hashlib.sha256(fetched.read_bytes()).hexdigest() == \
        "695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14"


def test_refresh_fetch_gets_what_the_plan_needs_then_measures_it(env, capsys):
    onnx = build_tiny_yolox_onnx(env / "tiny.onnx", input_size=64).read_bytes()
    with LocalServer() as server:
        server.state.files["/official/tiny.onnx"] = onnx
        registry = tiny_registry(env / "reg", server.url + "official/tiny.onnx")
        assert main(["refresh", "--registry", str(registry), "--no-builtin", "--fetch", "--kind", "size",
                     "--no-render", "--results", str(env / "results")]) == 0
        assert server.state.requests == ["/official/tiny.onnx"]
    assert (env / "data" / REL).read_bytes() == onnx
    assert list((env / "results").glob("*/tiny-0/size/*.json"))


def test_refresh_fetch_that_cannot_fetch_says_so_once(env, capsys):
    with LocalServer() as server:
        url = server.url + "official/tiny.onnx"
    registry = tiny_registry(env / "reg", url)
    assert main(["refresh", "--registry", str(registry), "--no-builtin", "--fetch", "--no-render",
                 "--results", str(env / "results")]) == 0
    err = capsys.readouterr().err
    assert err.count("could not fetch") == 1 and err.count("benchgen fetch tiny-0") == 1
