"""Which decoder reads a variant's ONNX file, and does the file fit its registry entry.

`decoder: auto` reads Ultralytics' `metadata_props` first (author, task, head, end2end, args), since
they say exactly what was exported; otherwise every decoder that recognises the outputs is a
candidate. One candidate is used; several (a (1, 300, 6) output is an end-to-end YOLO or a
2-class RT-DETR) is an error naming them and the key to set, because guessing would score a model
wrongly without any sign. The file is then checked against the entry: it parses, its fixed input
size is the variant's `input_size` (a 640-px graph must never be recorded as "at 416 px"), its
outputs fit the decoder, and its inputs take exactly what the pipeline feeds (batch 1, 3 channels,
the element type).
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchgen.decoders import AUTO, DECODERS, get_decoder, known_decoders, make_pipeline
from benchgen.decoders.onnx_info import OnnxInfo, read_onnx_info
from benchgen.errors import BenchgenError
from benchgen.pipeline import Pipeline


def _ultralytics_format(info: OnnxInfo) -> str:
    meta = info.metadata
    task = meta.get("task", "detect")
    if task != "detect":
        raise BenchgenError(f"{info.path}: an Ultralytics '{task}' export; benchgen measures detection models "
                            "(task 'detect') only")
    if "rtdetr" in meta.get("head", "").lower() or "rt-detr" in meta.get("description", "").lower():
        return "ultralytics-rtdetr"
    if meta.get("end2end", "").lower() == "true" or "'nms': True" in meta.get("args", ""):
        return "end2end"
    return "ultralytics"


#: plugins already named in a warning: a command resolves `auto` more than once (registry load, measurement)
_WARNED: set[str] = set()


def _plugin_skipped(name: str, why: str) -> None:
    if name in _WARNED:
        return
    _WARNED.add(name)
    print(f"benchgen: warning: decoder plugin {name!r} skipped by decoder auto: {why}; fix or uninstall that "
          "plugin, or set `decoder:` in the registry", file=sys.stderr, flush=True)


def _recognisers(info: OnnxInfo, input_size: int) -> list[str]:
    """The decoders whose `recognise` accepts the file. A plugin is foreign code: one that fails to
    import or raises in `recognise` is named and skipped, so it cannot break `auto` for every file;
    a built-in that raises is benchgen's bug and propagates."""
    found = []
    for name in known_decoders():
        plugin = name not in DECODERS
        try:
            spec = get_decoder(name)
        except BenchgenError as exc:
            if not plugin:
                raise
            _plugin_skipped(name, str(exc))
            continue
        if spec.recognise is None:
            continue
        if not plugin:
            if spec.recognise(info, input_size):
                found.append(name)
            continue
        try:
            if spec.recognise(info, input_size):
                found.append(name)
        except Exception as exc:  # noqa: BLE001 - a plugin's fault, named, must not stop the others
            from benchgen.decoders.plugins import plugin_entry_points
            from benchgen.plugins import origin

            point = plugin_entry_points().get(name)
            source = origin(point) if point is not None else name
            _plugin_skipped(name, f"{source} raised {type(exc).__name__} in recognise(): {exc}")
    return found


def detect_decoder(info: OnnxInfo, input_size: int, where: str = "") -> str:
    """The one decoder that fits the file, or a BenchgenError naming the candidates."""
    if info.ultralytics:
        return _ultralytics_format(info)
    candidates = _recognisers(info, input_size)
    at = f" ({where})" if where else ""
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise BenchgenError(f"{info.path}{at}: decoder auto recognises no format in this file ({info.describe()}); "
                            f"set `decoder:` in the registry to one of {', '.join(known_decoders())}, or add a "
                            "decoder plugin (see the how-to 'Measure your own detector')")
    raise BenchgenError(f"{info.path}{at}: decoder auto cannot tell {' and '.join(candidates)} apart: they share "
                        f"this output shape ({info.describe()}) and the file has no metadata that decides; set "
                        f"`decoder: {candidates[0]}` (or `decoder: {candidates[1]}`) on the family or the variant")


def check_file(info: OnnxInfo, decoder: str, input_size: int, where: str = "") -> None:
    at = f" ({where})" if where else ""
    size = info.image_size
    if size is not None and size != (input_size, input_size):
        raise BenchgenError(f"{info.path}{at}: the graph takes {size[0]}x{size[1]} images but the registry says "
                            f"input_size {input_size}; set input_size: {size[0]} (or export the model at "
                            f"{input_size} px)")
    spec = get_decoder(decoder)
    problem = spec.check(info, input_size) if spec.check else None
    if problem:
        raise BenchgenError(f"{info.path}{at}: its outputs do not fit decoder {decoder!r}: {problem} "
                            f"(the file has {info.describe()}); set `decoder:` to the format it was exported in")


#: a small image for the dry run of a pipeline's pre-processing (resized like any image)
_PROBE_IMAGE_SIDE = 16


def _dims(shape) -> str:
    return "x".join(str(d) if d is not None else "?" for d in shape)


def _image_dimension_problem(name: str, shape, axis: int, want: int, input_size: int) -> str:
    if axis == 0:
        return (f"its image input {name!r} ({_dims(shape)}) takes batches of {want}, and benchgen runs batch 1; "
                "export the model with batch 1 or a dynamic batch")
    if axis == 1:
        return (f"its image input {name!r} ({_dims(shape)}) takes {want} channel{'s' if want != 1 else ''}, and "
                "benchgen feeds 3-channel colour images (RGB or BGR, N x 3 x H x W); export the model for 3-channel "
                "NCHW input")
    side = "high" if axis == 2 else "wide"
    return (f"the graph takes images {want} px {side} ({name!r} is {_dims(shape)}) but the registry says input_size "
            f"{input_size}; set input_size: {want} (or export the model at {input_size} px)")


def check_feeds(info: OnnxInfo, pipeline: Pipeline, input_size: int, where: str = "") -> None:
    """What the pipeline feeds is what the graph takes: every input, every fixed dimension, the
    element type. A mismatch found here, before any work, is one line naming the file; found by
    ONNX Runtime halfway through an eval it was a traceback. The pipeline's own pre-processing is
    dry-run on a small blank image, so the check holds for every decoder, plugins included."""
    import numpy as np
    from onnx.helper import tensor_dtype_to_np_dtype

    preprocess = getattr(pipeline, "preprocess", None)
    if preprocess is None:
        return
    feeds, _ = preprocess(np.zeros((_PROBE_IMAGE_SIDE, _PROBE_IMAGE_SIDE, 3), np.uint8))
    at = f" ({where})" if where else ""
    graph = {t.name: t for t in info.inputs}
    unfed = [t for t in info.inputs if t.name not in feeds]
    if unfed:
        t = unfed[0]
        raise BenchgenError(f"{info.path}{at}: the graph takes an input {t.name!r} ({_dims(t.shape)}) that benchgen "
                            f"does not feed (it feeds {', '.join(map(repr, feeds))}); export the model with the image "
                            "as its only input (an NMS-in-graph export may also take an (N, 2) orig_target_sizes input)")
    image = info.image_input.name
    for name, array in feeds.items():
        tensor = graph.get(name)
        if tensor is None:
            raise BenchgenError(f"{info.path}{at}: benchgen would feed an input {name!r} the graph does not have "
                                f"(its inputs: {', '.join(repr(t.name) for t in info.inputs)}); set `decoder:` to "
                                "the format it was exported in")
        if tensor.rank != array.ndim:
            raise BenchgenError(f"{info.path}{at}: input {name!r} has rank {tensor.rank} ({_dims(tensor.shape)}) "
                                f"but benchgen feeds it a {_dims(array.shape)} tensor; export the model with "
                                "the input layout of its format")
        for axis, (want, have) in enumerate(zip(tensor.shape, array.shape)):
            if isinstance(want, int) and want > 0 and want != have:
                problem = (_image_dimension_problem(name, tensor.shape, axis, want, input_size) if name == image else
                           f"input {name!r} is {_dims(tensor.shape)} but benchgen feeds {_dims(array.shape)}; "
                           "export the model with the input layout of its format")
                raise BenchgenError(f"{info.path}{at}: {problem}")
        try:
            wanted = np.dtype(tensor_dtype_to_np_dtype(tensor.elem_type))
        except (KeyError, ValueError, TypeError):
            wanted = None
        if wanted is not None and wanted != array.dtype:
            raise BenchgenError(f"{info.path}{at}: input {name!r} takes {wanted.name} but benchgen feeds "
                                f"{array.dtype.name}; export the model with {array.dtype.name} input")


def resolve_name(decoder: str, path: Path | None, input_size: int, where: str = "") -> str:
    """`auto` replaced by the detected format (needs the file); an explicit name checked against the known ones."""
    if decoder != AUTO:
        get_decoder(decoder)  # unknown names fail with the known list
        return decoder
    if path is None:
        raise BenchgenError(f"{where}: decoder auto needs the ONNX file to recognise its format")
    return detect_decoder(read_onnx_info(path), input_size, where)


def pipeline_for(path: Path, decoding: dict, input_size: int, where: str = "") -> tuple[str, Pipeline]:
    """Read and check the file, then build its pipeline: (decoder name, pipeline)."""
    info = read_onnx_info(path)
    decoder = decoding["decoder"]
    name = detect_decoder(info, input_size, where) if decoder == AUTO else decoder
    check_file(info, name, input_size, where)
    pipeline = make_pipeline(name, input_size, decoding["preprocess"], decoding["class_map"], decoding["options"], info)
    check_feeds(info, pipeline, input_size, where)
    settings = getattr(pipeline, "settings", None)
    if decoder == AUTO and isinstance(settings, dict):
        settings["decoder_chosen_by"] = "auto"
    return name, pipeline
