"""`benchgen score`: COCO mAP of a detections file, whichever tool wrote it.

Nothing is run and nothing is stored: the file is checked, scored with COCOeval's rules
(faster-coco-eval) over every image of the annotations, and the 12-line COCO summary printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def run_score(args: argparse.Namespace) -> int:
    from benchgen.measure.accuracy.detections_file import score_file

    scored = score_file(args.detections, args.annotations)
    if scored.detections == 0:
        print(f"note: {scored.detections_file} holds no detections; COCO scores a detector that finds nothing as 0 "
              "(-1 where the annotations have no object to score), which is what follows", file=sys.stderr)
    if args.json:
        print(json.dumps(scored.as_dict(), indent=2))
        return 0
    print(scored.score.summary)
    print(f"{scored.detections} detections on {scored.images_with_detections} of {scored.images} images, scored "
          f"against {scored.annotations} with {scored.engine} in {scored.seconds:.2f} s")
    return 0


def register(subparsers) -> None:
    score = subparsers.add_parser(
        "score", help="COCO mAP of a detections file (COCO results JSON from any tool)",
        description="Score a COCO results file - a JSON list of {image_id, category_id, bbox: [x, y, width, "
                    "height], score}, as benchgen eval, COCO's evaluation server and most detection codebases write "
                    "it - against a COCO annotation file, and print COCOeval's 12-line summary (AP, AP50, AP75, "
                    "AP small/medium/large, AR at 1/10/100 detections, AR small/medium/large). Every image of the "
                    "annotations is scored; one without detections counts as found nothing. The evaluation is "
                    "pycocotools' COCOeval (bbox, maxDets 1/10/100), computed by faster-coco-eval. An empty list "
                    "scores 0, not an error. Nothing is stored.")
    score.add_argument("--detections", type=Path, required=True, metavar="DETS.json",
                       help="detections in COCO results format (e.g. the detections file `benchgen eval` prints)")
    score.add_argument("--annotations", type=Path, required=True, metavar="GT.json",
                       help="COCO annotation file of the same images (e.g. annotations/instances_val2017.json)")
    score.add_argument("--json", action="store_true",
                       help="print the 12 statistics, the summary and the counts as JSON instead of the summary")
    score.set_defaults(func=run_score)
