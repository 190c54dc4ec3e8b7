"""How long `benchgen score` takes on a val2017-sized detections file, and how much memory.

    python benchmarks/score_speed.py [--images 5000] [--per-image 100] [--seed 0] [--oracle] [--keep DIR]

Builds a synthetic COCO set with a fixed seed, as large as val2017 by default: 5,000 images, about
7 objects each over COCO's 80 categories (log-uniform sizes, so small, medium and large all occur;
1 % crowd regions; segmentation areas below the box areas, as in COCO), and 100 detections per
image: 0-3 jittered copies of each object (10 % with a wrong category) and random false positives
for the rest, true ones scored higher on the whole, scores rounded to 5 digits so ties occur.

Then `benchgen score --json` scores it in a subprocess of its own (reading and checking both
files included, as a user runs it), and with --oracle so does pycocotools (COCO, loadRes,
COCOeval, the way its README scores a results file). Each engine's wall time, CPU time and peak
resident memory are its own process's (os.wait4). Exits 1 when the engines' 12 numbers differ by
more than 1e-6, or when --limit is given and the score took longer.

Not a unit test: timings belong on a quiet machine (the load average is printed beside them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchgen.pipeline import COCO_CATEGORY_IDS

STAT_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
              "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large")


def build(images: int, per_image: int, seed: int) -> tuple[dict, list[dict]]:
    rng = np.random.default_rng(seed)
    categories = np.array(COCO_CATEGORY_IDS)
    gt = {"images": [], "annotations": [], "categories": [{"id": int(c), "name": f"class-{c}"} for c in categories]}
    detections = []
    for index in range(images):
        image_id = 100_000 + 7 * index  # not 0..N-1
        width, height = int(rng.integers(320, 641)), int(rng.integers(240, 481))
        gt["images"].append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": width, "height": height})
        n = max(1, int(rng.poisson(7)))
        w = np.exp(rng.uniform(np.log(4), np.log(width * 0.9), n))
        h = np.clip(w * np.exp(rng.normal(0, 0.4, n)), 2, height * 0.9)
        boxes = np.round(np.stack([rng.uniform(0, width - w), rng.uniform(0, height - h), w, h], axis=1), 2)
        labels = rng.choice(categories, n)
        crowd = rng.random(n) < 0.01
        for box, label, is_crowd in zip(boxes.tolist(), labels.tolist(), crowd.tolist()):
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": image_id, "category_id": label,
                                      "bbox": box, "area": round(box[2] * box[3] * float(rng.uniform(0.5, 0.9)), 2),
                                      "iscrowd": int(is_crowd)})
        copies = rng.integers(0, 4, n)  # 0-3 detections of each object
        source = np.repeat(np.arange(n), copies)[:per_image]
        near, jitter = boxes[source], rng.normal(0, 0.08, (len(source), 4))
        found = np.stack([near[:, 0] + jitter[:, 0] * near[:, 2], near[:, 1] + jitter[:, 1] * near[:, 3],
                          near[:, 2] * np.exp(jitter[:, 2]), near[:, 3] * np.exp(jitter[:, 3])], axis=1)
        found_labels = labels[source].copy()
        wrong = rng.random(len(source)) < 0.1
        found_labels[wrong] = rng.choice(categories, int(wrong.sum()))
        k = per_image - len(source)
        fw = np.exp(rng.uniform(np.log(4), np.log(width * 0.7), k))
        fh = np.clip(fw * np.exp(rng.normal(0, 0.5, k)), 2, height)
        false = np.stack([rng.uniform(0, width - fw), rng.uniform(0, height - np.minimum(fh, height - 1)), fw, fh], 1)
        all_boxes = np.round(np.concatenate([found, false]), 2)
        all_labels = np.concatenate([found_labels, rng.choice(categories, k)])
        scores = np.round(np.concatenate([rng.beta(5, 2, len(source)), rng.beta(1.2, 5, k)]), 5)
        for box, label, score in zip(all_boxes.tolist(), all_labels.tolist(), scores.tolist()):
            detections.append({"image_id": image_id, "category_id": label, "bbox": box, "score": score})
    return gt, detections


PYCOCOTOOLS = """
import contextlib, io, json, sys
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[2])
    evaluator = COCOeval(gt, gt.loadRes(sys.argv[1]), "bbox")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
print(json.dumps({"coco": dict(zip(%r, map(float, evaluator.stats)))}))
""" % (STAT_NAMES,)


def run(command: list[str]) -> dict:
    """Run one engine in a process of its own: its JSON output, wall and CPU seconds, peak RSS."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own resource use
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        process.stdout.close()
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"{' '.join(command[:4])} ... failed ({process.returncode}): {errors.read().decode()[-2000:]}")
    return {"output": json.loads(out), "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--per-image", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracle", action="store_true", help="also score with pycocotools (about a minute)")
    parser.add_argument("--keep", type=Path, default=None, help="write the two files here and keep them")
    parser.add_argument("--limit", type=float, default=None, help="exit 1 when `benchgen score` takes longer (s)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    gt, detections = build(args.images, args.per_image, args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        gt_path, dets_path = directory / "instances_synthetic.json", directory / "detections.json"
        gt_path.write_text(json.dumps(gt))
        dets_path.write_text(json.dumps(detections))
        print(f"{len(gt['images'])} images, {len(gt['annotations'])} objects "
              f"({sum(a['iscrowd'] for a in gt['annotations'])} crowd), {len(detections)} detections "
              f"({dets_path.stat().st_size / 1e6:.0f} MB), built in {time.perf_counter() - start:.1f} s")
        del gt, detections
        runs = {}
        load = os.getloadavg()[0]
        runs["faster-coco-eval"] = run([sys.executable, "-m", "benchgen", "score", "--detections", str(dets_path),
                                        "--annotations", str(gt_path), "--json"])
        if args.oracle:
            runs["pycocotools"] = run([sys.executable, "-c", PYCOCOTOOLS, str(dets_path), str(gt_path)])
        load = max(load, os.getloadavg()[0])

    for engine, result in runs.items():
        inside = result["output"].get("seconds")
        inside = f" (read, check and score: {inside:.2f} s)" if inside is not None else ""
        print(f"{engine:>17}: {result['wall_s']:6.2f} s wall, {result['cpu_s']:6.2f} s CPU, "
              f"peak RSS {result['peak_rss_mb']:6.0f} MB{inside}")
    ours = runs["faster-coco-eval"]["output"]["coco"]
    print("  " + "  ".join(f"{name} {ours[name]:.4f}" for name in STAT_NAMES))
    print(f"machine: {os.cpu_count()} CPUs, load average up to {load:.2f} while timing"
          + (" (busy: these timings are inflated)" if load > 0.5 else ""))
    failed = False
    if "pycocotools" in runs:
        theirs = runs["pycocotools"]["output"]["coco"]
        worst = max(abs(ours[name] - theirs[name]) for name in STAT_NAMES)
        print(f"max |faster-coco-eval - pycocotools| over the 12 numbers: {worst:.2e}")
        failed |= worst > 1e-6
    if args.limit is not None and runs["faster-coco-eval"]["wall_s"] > args.limit:
        print(f"over the limit of {args.limit:g} s")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
