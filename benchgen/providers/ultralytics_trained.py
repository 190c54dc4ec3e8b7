"""Build one Ultralytics model from its config, load a release checkpoint into it strictly, export it.

A script for the provider's venv, like ultralytics_worker.py, which it runs unchanged: the model
classes the worker builds are wrapped so that, once built from the config, each loads the
checkpoint's tensors (Ultralytics' own save format) with strict=True. The worker's own file stays
as it was, so the fixed-seed exports' cache keys do not change; this file's hash enters the key of
the trained exports only. It prints the worker's facts line with `weights_loaded` added.

    .venv-ultralytics/bin/python ultralytics_trained.py '<request JSON with "weights">'
"""

import contextlib
import io
import json
import os
import runpy
import sys

MARK = "BENCHGEN-FACTS "


def load_release_weights(model, path):
    """Load a release checkpoint (Ultralytics' own save format) strictly into the architecture built from
    the config: every tensor must find its place and shape, so a checkpoint of another size, task or
    class count fails here instead of exporting a half-initialised model."""
    from ultralytics.nn.tasks import torch_safe_load

    ckpt, _ = torch_safe_load(path)
    source = ckpt.get("ema") or ckpt.get("model")
    if source is None:
        raise SystemExit(f"{path}: no 'ema' or 'model' entry; not an Ultralytics checkpoint")
    state = source.float().state_dict()
    try:
        model.model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise SystemExit(f"{path} does not load strictly into {model.model.yaml.get('yaml_file', 'the config')}: "
                         + " ".join(str(exc).split())[:400]) from None
    model.model.eval()
    return {"tensors": len(state), "from": os.path.basename(path), "saved_by": ckpt.get("version"),
            "date": ckpt.get("date")}



def main(argv):
    request = json.loads(argv[1])
    os.environ.setdefault("YOLO_OFFLINE", "True")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    import ultralytics

    loaded = {}
    for name in ("YOLO", "RTDETR"):
        built = getattr(ultralytics, name)

        def trained_init(self, *args, _built=built, **kwargs):
            _built.__init__(self, *args, **kwargs)
            loaded.update(load_release_weights(self, request["weights"]))

        setattr(ultralytics, name, type(name, (built,), {"__init__": trained_init}))
    worker = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ultralytics_worker.py"))
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = worker["main"](argv)
    lines = captured.getvalue().splitlines()
    for line in lines:
        if line.startswith(MARK):
            facts = json.loads(line[len(MARK):])
            facts["weights_loaded"] = loaded
            line = MARK + json.dumps(facts)
        print(line, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
