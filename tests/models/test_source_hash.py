import shutil

from benchgen.models import source_hash

REAL_MODELS_DIR = source_hash.MODELS_DIR


def _hash_with(tmp_path, monkeypatch, edit=None):
    copy = tmp_path / "models"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(REAL_MODELS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if edit:
        edit(copy)
    monkeypatch.setattr(source_hash, "MODELS_DIR", copy)
    source_hash.implementation_source_hash.cache_clear()
    try:
        return {name: source_hash.implementation_source_hash(name) for name in ("damo-yolo", "rtdetrv2")}
    finally:
        source_hash.implementation_source_hash.cache_clear()


def _append(path):
    path.write_text(path.read_text() + "\n# changed\n")


def test_family_code_changes_only_that_family(tmp_path, monkeypatch):
    base = _hash_with(tmp_path, monkeypatch)
    after = _hash_with(tmp_path, monkeypatch, lambda root: _append(root / "damoyolo" / "neck.py"))
    assert after["damo-yolo"] != base["damo-yolo"] and after["rtdetrv2"] == base["rtdetrv2"]


def test_shared_model_code_changes_every_family(tmp_path, monkeypatch):
    base = _hash_with(tmp_path, monkeypatch)
    after = _hash_with(tmp_path, monkeypatch, lambda root: _append(root / "deterministic_weights.py"))
    assert all(after[name] != base[name] for name in base)
