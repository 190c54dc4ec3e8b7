"""What a decoder may know about an ONNX file before running it: inputs, outputs, exporter metadata.

Read once per file (by path, size and mtime) without building a session, so that recognising a
format and checking a file against its registry entry cost milliseconds, and so that a file that
is not ONNX at all fails with one line naming it instead of a protobuf traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from benchgen.errors import BenchgenError

#: a dimension is an int when the graph fixes it, its symbolic name (or None) when it is dynamic
Dim = int | str | None


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[Dim, ...]
    elem_type: int = 1  # onnx.TensorProto.FLOAT

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class OnnxInfo:
    path: Path
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def image_input(self) -> TensorInfo:
        """The rank-4 input (N, 3, H, W); a second input such as orig_target_sizes is not the image."""
        for tensor in self.inputs:
            if tensor.rank == 4:
                return tensor
        raise BenchgenError(f"{self.path}: no rank-4 image input (N, 3, H, W) among its inputs "
                            f"{[(t.name, t.shape) for t in self.inputs]}")

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(H, W) when the graph fixes them; None when either is dynamic."""
        h, w = self.image_input.shape[2:4]
        return (h, w) if isinstance(h, int) and isinstance(w, int) else None

    def output(self, *names: str) -> TensorInfo | None:
        """The first output whose lower-cased name is one of `names` (exporters differ in spelling)."""
        wanted = [n.lower() for n in names]
        for name in wanted:
            for tensor in self.outputs:
                if tensor.name.lower() == name:
                    return tensor
        return None

    @property
    def ultralytics(self) -> bool:
        return self.metadata.get("author", "").lower().startswith("ultralytics")

    def describe(self) -> str:
        outs = ", ".join(f"{t.name} {_shape(t.shape)}" for t in self.outputs)
        ins = ", ".join(f"{t.name} {_shape(t.shape)}" for t in self.inputs)
        return f"inputs {ins}; outputs {outs}"


def _shape(shape: tuple[Dim, ...]) -> str:
    return "x".join(str(d) if d is not None else "?" for d in shape)


def _tensor(value_info) -> TensorInfo:
    dims: list[Dim] = []
    for dim in value_info.type.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            dims.append(dim.dim_param or None)
    return TensorInfo(value_info.name, tuple(dims), value_info.type.tensor_type.elem_type)


@lru_cache(maxsize=64)
def _read(path: str, size: int, mtime_ns: int) -> OnnxInfo:
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(path, load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError, UnicodeDecodeError) as exc:
        raise BenchgenError(f"{path}: not a readable ONNX model ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else 'parse failed'}); "
                            "point the registry's onnx at an exported .onnx file") from None
    graph = model.graph
    if not graph.output or not graph.input:
        raise BenchgenError(f"{path}: not a usable ONNX model (the graph has no inputs or no outputs); "
                            "point the registry's onnx at an exported .onnx file")
    initializers = {i.name for i in graph.initializer}
    inputs = tuple(_tensor(i) for i in graph.input if i.name not in initializers)
    return OnnxInfo(Path(path), inputs, tuple(_tensor(o) for o in graph.output),
                    {p.key: p.value for p in model.metadata_props})


def read_onnx_info(path: Path) -> OnnxInfo:
    stat = Path(path).stat()
    return _read(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
