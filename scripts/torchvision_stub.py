"""Install a metadata-only `torchvision` distribution into the running interpreter's environment.

For the ultralytics provider's venv (.venv-ultralytics/, made by scripts/bootstrap.sh --ultralytics).
The ultralytics package reads torchvision's version from its distribution metadata when it is
imported, and pip needs a torchvision to satisfy ultralytics' requirement; but PyPI's torchvision
wheel needs CUDA libraries and fails to import beside the CPU build of torch. Building a model from
its YAML and exporting it to ONNX never imports torchvision (val, predict and export(nms=True) do,
and benchgen uses none of them). So this writes only a `torchvision-<v>.dist-info` directory whose
version pairs with the installed torch (torch 2.m pairs with torchvision 0.(m+15)): no module, so an
accidental `import torchvision` fails plainly instead of half-loading. `pip uninstall torchvision`
removes it. A real torchvision already installed is left alone.
"""

import sys
import sysconfig
from importlib import metadata
from pathlib import Path


def main() -> int:
    try:
        existing = metadata.distribution("torchvision")
        print(f"torchvision {existing.version} already installed; nothing to do")
        return 0
    except metadata.PackageNotFoundError:
        pass
    major, minor = (int(p) for p in metadata.version("torch").split("+")[0].split(".")[:2])
    if major != 2:
        print(f"torch {metadata.version('torch')}: no torchvision pairing known", file=sys.stderr)
        return 1
    version = f"0.{min(minor + 15, 29)}.0"
    site = Path(sysconfig.get_paths()["purelib"])
    info = site / f"torchvision-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: torchvision\nVersion: " + version + "\n"
        "Summary: metadata-only stand-in written by benchgen's scripts/torchvision_stub.py (no module): "
        "ultralytics reads this version at import; building and exporting never import torchvision\n",
        encoding="utf-8")
    (info / "INSTALLER").write_text("benchgen-torchvision-stub\n", encoding="utf-8")
    names = ["METADATA", "INSTALLER", "RECORD"]
    (info / "RECORD").write_text("".join(f"{info.name}/{n},,\n" for n in names), encoding="utf-8")
    print(f"wrote {info} (metadata only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
