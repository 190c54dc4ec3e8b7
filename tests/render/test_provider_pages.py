"""Pages of provider-built families, and the 3 % rule between a measured and a published parameter count."""

import re

from benchgen.registry import load_registry
from benchgen.render.pages import SiteRenderer
from tests.conftest import make_result


def _row(page: str, variant: str) -> str:
    return re.search(rf'<tr data-variant="{variant}".*?</tr>', page, re.S).group(0)


def test_a_measured_param_count_beyond_3_percent_of_the_published_one_is_shown_with_it_and_flagged(make_registry):
    registry = make_registry()  # alpha-s publishes 10.0 M params, alpha-m 20.0 M
    results = [make_result("alpha-s", "size", {"params_m": 10.25, "flops_g": 10.0}),  # +2.5 %: agrees
               make_result("alpha-m", "size", {"params_m": 21.0, "flops_g": 10.0})]  # +5 %: flagged
    page = SiteRenderer(registry, results).family_page(registry.family("alpha"))
    close, far = (re.findall(r'<td class="bg-cell.*?</td>', _row(page, v), re.S)[3] for v in ("alpha-s", "alpha-m"))
    assert "reported 10.0" in close and "bg-mark-disagreement" not in close
    assert "reported 20.0" in far and "bg-mark-disagreement" in far
    note = re.search(r'class="bg-mark bg-mark-disagreement" href="#(bg-note-\d+)"', far).group(1)
    text = re.search(rf'<li id="{note}".*?</li>', page, re.S).group(0)
    assert "differs from the published 20.0 (Paper) by +5.0 %" in text and "3 %" in text


def test_provider_families_say_how_they_are_built_and_how_to_install_the_provider():
    registry = load_registry()
    renderer = SiteRenderer(registry, [])
    yolo11 = renderer.family_page(registry.family("yolo11"))
    assert "YOLO11 is reported only" not in yolo11
    assert "YOLO11 is built by the ultralytics provider" in yolo11 and "`yolo11n.yaml`" in yolo11
    assert "scripts/bootstrap.sh --ultralytics" in yolo11 and "mAP stays the authors' reported figure" in yolo11
    rtdetr = renderer.family_page(registry.family("rtdetr"))
    assert "RT-DETR-L, RT-DETR-X with the official" in rtdetr
    assert re.search(r"RT-DETR-R18, [^:]*RT-DETR-R101: listed with their published figures only", rtdetr)
    assert "YOLOv7 is reported only" in renderer.family_page(registry.family("yolov7"))
    index = renderer.index()
    assert re.search(r"\[YOLO11\]\(families/yolo11\.md\)[^\n]*built by the ultralytics provider", index)
