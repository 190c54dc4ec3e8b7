"""Which decoder reads a variant's ONNX file, and does the file fit its registry entry.

`decoder: auto` reads Ultralytics' `metadata_props` first (author, task, head, end2end, args), since
they say exactly what was exported; otherwise every decoder that recognises the outputs is a
candidate. One candidate is used; several (a (1, 300, 6) output is an end-to-end YOLO or a
2-class RT-DETR) is an error naming them and the key to set, because guessing would score a model
wrongly without any sign. The file is then checked against the entry: it parses, its fixed input
size is the variant's `input_size` (a 640-px graph must never be recorded as "at 416 px"), and its
outputs fit the decoder.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.decoders import AUTO, all_decoders, get_decoder, known_decoders, make_pipeline
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


def detect_decoder(info: OnnxInfo, input_size: int, where: str = "") -> str:
    """The one decoder that fits the file, or a BenchgenError naming the candidates."""
    if info.ultralytics:
        return _ultralytics_format(info)
    candidates = [spec.name for spec in all_decoders() if spec.recognise and spec.recognise(info, input_size)]
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
    settings = getattr(pipeline, "settings", None)
    if decoder == AUTO and isinstance(settings, dict):
        settings["decoder_chosen_by"] = "auto"
    return name, pipeline
