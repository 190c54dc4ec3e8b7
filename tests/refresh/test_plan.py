import pytest

from benchgen.errors import DatasetError
from benchgen.metrics import KINDS
from benchgen.refresh.cache_key import model_material
from benchgen.refresh.plan import find_weights, plan
from benchgen.registry import load_registry
from tests.conftest import make_result
from tests.refresh.conftest import byo_registry

MACHINES = {"ort-cpu": "cpu-test-refresh"}


def _jobs(tmp_path, onnx_path, results, **kw):
    registry = load_registry(byo_registry(tmp_path / "reg", onnx_path))
    return registry, plan(registry, results, MACHINES, backends=["ort-cpu"], **kw)


def _fresh(job):
    metric = KINDS[job.kind].metrics[0]
    result = make_result(job.variant.id, job.kind, {metric: 1.0}, settings={})
    result.provenance.machine = result.provenance.machine.model_copy(update={"id": job.machine_id})
    result.cache_key = job.key
    return result


def test_everything_is_stale_at_first(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    assert {(j.variant.id, j.kind) for j in jobs} == {(f"tiny-{i}", k) for i in range(3)
                                                     for k in ("size", "latency-cpu")}
    assert all(j.stale and j.reason == "never measured on this machine" for j in jobs)


def test_a_result_with_the_same_key_makes_a_job_fresh(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    results = [_fresh(j) for j in jobs[:2]]
    _, again = _jobs(tmp_path, onnx_path, results)
    assert [j.stale for j in again] == [False, False] + [True] * (len(jobs) - 2)
    _, forced = _jobs(tmp_path, onnx_path, results, force=True)
    assert all(j.stale for j in forced)


def test_failed_results_are_retried(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    failed = _fresh(jobs[0])
    failed.status, failed.metrics, failed.error = "failed", {}, "boom"
    _, again = _jobs(tmp_path, onnx_path, [failed])
    assert again[0].stale and again[0].reason == "inputs changed or last attempt failed"


def test_changed_weights_or_machine_or_model_file_changes_the_key(tiny_project, tmp_path):
    from tests.measure.builders import build_tiny_yolox_onnx

    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    build_tiny_yolox_onnx(onnx_path, input_size=64, seed=1)  # same architecture, other weights: a new file hash
    _, after = _jobs(tmp_path, onnx_path, [])
    assert {j.key for j in jobs}.isdisjoint({j.key for j in after})
    registry = load_registry(tmp_path / "reg")
    other = plan(registry, [], {"ort-cpu": "another-machine"}, backends=["ort-cpu"])
    assert {j.key for j in other}.isdisjoint({j.key for j in after})


def test_reported_numbers_do_not_change_the_key(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    path = tmp_path / "reg" / "tiny.yaml"
    path.write_text(path.read_text().replace("value: 30.0", "value: 35.5"))
    registry = load_registry(tmp_path / "reg")
    assert registry.variant("tiny-0")[1].reported["map50_95"][0].value == 35.5
    after = plan(registry, [], MACHINES, backends=["ort-cpu"])
    assert [j.key for j in jobs] == [j.key for j in after]


def test_only_selects_a_variant_or_family(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [], only=["tiny-1"])
    assert {j.variant.id for j in jobs} == {"tiny-1"}


def test_a_missing_bring_your_own_file_is_skipped_not_failed(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    registry = load_registry(byo_registry(tmp_path / "reg", onnx_path, broken="tiny-1"))
    jobs = plan(registry, [], MACHINES, backends=["ort-cpu"])
    skipped = [j for j in jobs if j.variant.id == "tiny-1"]
    assert skipped and all(j.unavailable and not j.stale for j in skipped)
    assert "missing.onnx" in skipped[0].reason and "not found" in skipped[0].reason
    assert all(j.stale and not j.unavailable for j in jobs if j.variant.id != "tiny-1")


def test_dataset_identity_is_its_content_not_its_location(tmp_path):
    import shutil

    from benchgen.refresh.plan import dataset_extra
    from tests.measure.builders import build_synthetic_coco

    coco = build_synthetic_coco(tmp_path / "here")
    moved = tmp_path / "elsewhere"
    shutil.copytree(coco.root, moved)
    here = dataset_extra(coco.images_dir, coco.annotations)
    assert here == dataset_extra(moved / "val2017", moved / "annotations" / "instances_val2017.json")
    (moved / "val2017" / "extra.jpg").write_bytes(b"\xff\xd8")
    assert dataset_extra(moved / "val2017", moved / "annotations" / "instances_val2017.json") != here
    with pytest.raises(DatasetError, match="missing: directory not found"):  # named, never silently no mAP job
        dataset_extra(tmp_path / "missing", coco.annotations)


def test_a_new_measuring_method_makes_that_kind_stale(tiny_project, tmp_path, monkeypatch):
    import dataclasses

    from benchgen import metrics

    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    kind = metrics.KINDS["latency-cpu"]
    monkeypatch.setitem(metrics.KINDS, "latency-cpu", dataclasses.replace(kind, method_version=kind.method_version + 1))
    _, after = _jobs(tmp_path, onnx_path, [])
    for before, now in zip(jobs, after):
        assert (before.key == now.key) == (before.kind != "latency-cpu"), before.kind


def test_a_new_scoring_engine_version_makes_accuracy_stale_and_nothing_else(tiny_project, tmp_path, monkeypatch):
    """mAP is computed by faster-coco-eval: another version re-scores (from the cached detections)."""
    from benchgen.refresh import plan as plan_module
    from tests.measure.builders import build_synthetic_coco

    _, onnx_path = tiny_project
    coco = build_synthetic_coco(tmp_path / "coco")
    dataset = {"images": coco.images_dir, "annotations": coco.annotations}
    _, jobs = _jobs(tmp_path, onnx_path, [], **dataset)
    assert "accuracy" in {j.kind for j in jobs}
    monkeypatch.setattr(plan_module, "engine_label", lambda: "faster-coco-eval 99.0")
    _, after = _jobs(tmp_path, onnx_path, [], **dataset)
    for before, now in zip(jobs, after):
        assert (before.key == now.key) == (before.kind != "accuracy"), before.kind


def test_torch_cuda_plans_the_pytorch_families_on_the_gpu_machine_only(tiny_project, tmp_path, monkeypatch):
    """With a (fake) CUDA device: one latency-torch-cuda job per PyTorch variant, keyed on the GPU machine;
    bring-your-own ONNX variants are skipped with the reason, never queued to fail."""
    from benchgen.measure.timing import latency_torch
    from tests.conftest import family_doc, variant_doc, write_registry

    _, onnx_path = tiny_project
    fingerprint = {"backend": "torch-cuda", "torch": "2.11.0", "cuda": "13.0", "gpu": "NVIDIA H100", "precision": "fp16",
                   "cuda_graph": True}
    monkeypatch.setattr(latency_torch, "torch_fingerprint", lambda: dict(fingerprint))
    byo_registry(tmp_path / "reg", onnx_path, variants=1)
    write_registry(tmp_path / "reg", [family_doc("damo", "Damo", [variant_doc("damo-yolo-t", "t", 42.0, 2.8, 8.5)])])
    registry = load_registry(tmp_path / "reg")
    machines = {"ort-cpu": "cpu-test-refresh", "torch-cuda": "gpu-nvidia-h100"}
    jobs = plan(registry, [], machines, backends=["ort-cpu", "torch-cuda"])
    torch_jobs = [j for j in jobs if j.backend == "torch-cuda"]
    assert [(j.variant.id, j.kind, j.stale, j.unavailable) for j in torch_jobs] == [
        ("damo-yolo-t", "latency-torch-cuda", True, False), ("tiny-0", "latency-torch-cuda", False, True)]
    assert torch_jobs[0].machine_id == "gpu-nvidia-h100" and "PyTorch" in torch_jobs[1].reason
    assert {j.kind for j in jobs if j.backend == "ort-cpu"} == {"size", "latency-cpu"}

    fresh = _fresh(torch_jobs[0])
    again = plan(registry, [fresh], machines, backends=["torch-cuda"])
    assert not again[0].stale and again[0].reason == "up to date"
    fingerprint["torch"] = "2.12.0"  # a new PyTorch re-measures
    assert plan(registry, [fresh], machines, backends=["torch-cuda"])[0].stale
    unstable = fresh.model_copy(update={"status": "unstable"})  # a throttled timing is measured again
    fingerprint["torch"] = "2.11.0"
    assert plan(registry, [unstable], machines, backends=["torch-cuda"])[0].stale


def test_result_headers_plan_as_the_results_do(tiny_project, tmp_path, monkeypatch):
    from benchgen.results import index
    from benchgen.results.index import load_headers
    from benchgen.results.store import load_results, write_result

    monkeypatch.setattr(index, "MIN_INDEXED_FILES", 0)
    _, onnx_path = tiny_project
    _, jobs = _jobs(tmp_path, onnx_path, [])
    failed = _fresh(jobs[2])
    failed.status, failed.metrics, failed.error = "failed", {}, "boom"
    for result in [_fresh(jobs[0]), _fresh(jobs[1]), failed]:
        write_result(result, tmp_path / "results")
    load_headers(tmp_path / "results")  # writes the index the second listing reads
    _, from_headers = _jobs(tmp_path, onnx_path, load_headers(tmp_path / "results"))
    _, from_results = _jobs(tmp_path, onnx_path, load_results(tmp_path / "results"))
    assert [(j.label, j.key, j.stale, j.reason) for j in from_headers] == \
        [(j.label, j.key, j.stale, j.reason) for j in from_results]
    assert [j.stale for j in from_headers][:3] == [False, False, True]


def test_weights_dir_finds_the_release_file_name_first_then_the_config_name(tmp_path):
    registry = load_registry()
    _, variant = registry.variant("d-fine-s")
    assert variant.checkpoint == "dfine_s_coco.pth" and variant.config == "dfine_hgnetv2_s_coco"
    assert find_weights(tmp_path, variant) is None
    by_config = tmp_path / "dfine_hgnetv2_s_coco_stage2.pth"
    by_config.write_bytes(b"x")
    assert find_weights(tmp_path, variant) == by_config
    released = tmp_path / "dfine_s_coco.pth"
    released.write_bytes(b"x")
    assert find_weights(tmp_path, variant) == released
    assert find_weights(None, variant) is None
    # another size's release file is not this variant's
    assert find_weights(tmp_path, registry.variant("d-fine-m")[1]) is None


def test_the_checkpoint_file_name_does_not_enter_the_key(monkeypatch):
    from benchgen.refresh import cache_key

    # the export's identity is the same for both (tests/refresh/test_graph_key.py exports for real)
    monkeypatch.setattr(cache_key, "export_identity", lambda *a: {"sha256": "s", "graph": "g"})
    family, variant = load_registry().variant("d-fine-s")
    unnamed = variant.model_copy(update={"checkpoint": None})
    assert model_material(family, variant, None, 0) == model_material(family, unnamed, None, 0)
    assert "checkpoint" not in model_material(family, variant, None, 0)["variant"]
