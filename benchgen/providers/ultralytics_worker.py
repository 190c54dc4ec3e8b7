"""Build one Ultralytics model from its bundled config and export it to ONNX: run in the provider's venv.

This file is a script for the interpreter of `.venv-ultralytics/` (scripts/bootstrap.sh --ultralytics),
never imported by benchgen: it is the only code of benchgen that imports `ultralytics` (AGPL-3.0),
and it needs nothing of benchgen. benchgen.providers.ultralytics runs it as

    .venv-ultralytics/bin/python ultralytics_worker.py '<request JSON>'

with the working directory a fresh temporary one (Ultralytics writes the export beside the config's
name). The request: config, model class, export arguments, seed, output path. The weights are the
package's own initialisation under `torch.manual_seed(seed)`: deterministic, and untrained. The last
line of stdout is `BENCHGEN-FACTS <json>`: the versions and what the export used.
"""

import json
import os
import shutil
import sys

MARK = "BENCHGEN-FACTS "


def main(argv):
    request = json.loads(argv[1])
    # no network, no pip: the environment is complete or the export fails saying what is missing
    os.environ.setdefault("YOLO_OFFLINE", "True")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    import torch

    torch.manual_seed(int(request["seed"]))
    import ultralytics
    from ultralytics import RTDETR, YOLO

    classes = {"YOLO": YOLO, "RTDETR": RTDETR}
    model = classes[request["model"]](request["config"])
    written = model.export(**request["export"])  # exports a fused copy; model.model stays as built
    from copy import deepcopy

    fused = deepcopy(model.model).fuse(verbose=False)
    params = sum(p.numel() for p in fused.parameters())
    shutil.move(str(written), request["output"])
    import onnx

    exported = onnx.load(request["output"], load_external_data=False)
    opset = next((o.version for o in exported.opset_import if o.domain in ("", "ai.onnx")), None)
    facts = {"package_params_fused": int(params), "opset": opset, "ultralytics": ultralytics.__version__,
             "torch": torch.__version__, "torchvision_imported": "torchvision" in sys.modules}
    print(MARK + json.dumps(facts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
