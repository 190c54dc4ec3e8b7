"""A whole implementation family in a temporary directory: how a new family plugs in.

Its package declares itself (FAMILY) and nothing outside it is edited: it joins benchgen.models'
package path, as a family's package would by being put in benchgen/models/.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import benchgen.models
from benchgen.models.family import forget_families
from tests.conftest import family_doc, variant_doc, write_registry

PACKAGE = "fakenet"

INIT = '''
from benchgen.models.family import CheckpointSignature, ImplementationFamily, lazy_interface

FAMILY = ImplementationFamily(
    name="fakenet",
    checkpoint=CheckpointSignature("FakeNet", key_prefixes=("stem", "head")),
    deploy="benchgen.models.fakenet.net:deploy_inputs",
)
__getattr__, __dir__ = lazy_interface(__name__, {".net": ("VARIANTS", "build_model", "load_checkpoint", "to_deploy",
                                                          "export_onnx", "make_pipeline")})
'''

NET = '''
"""A YOLOX-shaped toy: (1, 3, S, S) -> (1, rows, 85) for strides 8/16/32."""
import warnings

import torch
from torch import nn

from benchgen.decoders.yolox import YoloxPipeline
from benchgen.models.checkpoint_io import load_file, load_strict, tensors_only
from benchgen.models.deterministic_weights import fill_deterministic

from . import FAMILY

VARIANTS = {"fakenet-s": 8, "fakenet-m": 16}
SCALE = 2.0  # an exported constant
INPUT_SIZE = 32


class FakeNet(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, stride=8, padding=1)
        self.head = nn.Conv2d(width, 85, 1)

    def forward(self, images):
        p8 = self.head(torch.relu(self.stem(images * SCALE)))
        levels = [p8, nn.functional.avg_pool2d(p8, 2), nn.functional.avg_pool2d(p8, 4)]
        return torch.sigmoid(torch.cat([level.flatten(2).transpose(1, 2) for level in levels], dim=1))


def build_model(variant):
    return FakeNet(VARIANTS[variant]).eval()


def load_checkpoint(model, path):
    state = tensors_only(load_file(path), path, "not a FakeNet checkpoint", FAMILY.checkpoint.name)
    load_strict(model, state, path, "another FakeNet size?", FAMILY.checkpoint.name)


def to_deploy(model):
    return model.eval()


def deploy_inputs(variant, weights, seed, size):
    model = build_model(variant)
    if weights is not None:
        load_checkpoint(model, weights)
    else:
        fill_deterministic(model, seed)
    return to_deploy(model), (torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(seed)),)


def export_onnx(variant, output, weights=None, seed=0):
    model, _ = deploy_inputs(variant, weights, seed, INPUT_SIZE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE),), str(output), dynamo=False,
                          opset_version=17, input_names=["images"], output_names=["output"])


def make_pipeline(variant):
    return YoloxPipeline(INPUT_SIZE)
'''


def install(directory: Path, monkeypatch) -> Path:
    """Write the package under `directory` and put it on benchgen.models' path; returns the package dir."""
    package = directory / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(INIT))
    (package / "net.py").write_text(textwrap.dedent(NET))
    monkeypatch.setattr(benchgen.models, "__path__", [*benchgen.models.__path__, str(directory)])
    forget()
    return package


def forget() -> None:
    """Drop the imported package (a test edits its files) and the discovered families."""
    for name in [n for n in sys.modules if n == f"benchgen.models.{PACKAGE}" or n.startswith(f"benchgen.models.{PACKAGE}.")]:
        sys.modules.pop(name)
    forget_families()
    from benchgen.models import source_hash

    source_hash.implementation_source_hash.cache_clear()
    source_hash.decoding_source_hash.cache_clear()


def registry_dir(directory: Path) -> Path:
    """The family's registry data: two variants, 32x32 input."""
    variants = []
    for vid, scale in (("fakenet-s", "s"), ("fakenet-m", "m")):
        doc = variant_doc(vid, scale, 30.0, 1.0, 0.01)
        doc["input_size"] = 32
        variants.append(doc)
    return write_registry(directory, [family_doc("fakenet", "FakeNet", variants, implementation="fakenet")])
