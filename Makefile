# The two set-up commands of the README. Both install what they need first (scripts/bootstrap.sh).
# MkDocs 1.x prints a banner about MkDocs 2 on every run; it is not about this project.
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test serve bench-scale

# Measure what is stale on this machine, regenerate the pages, build the static site into site/.
site:
	scripts/bootstrap.sh
	.venv/bin/benchgen refresh
	.venv/bin/mkdocs build --strict

# The whole test suite (what CI runs).
test:
	scripts/bootstrap.sh --test
	.venv/bin/python -m pytest -q

# Preview with live reload on http://127.0.0.1:8000 (after `make site` or `benchgen render`).
serve:
	.venv/bin/mkdocs serve

# The scaling figures of the README's "At scale" table (minutes; run on a quiet machine).
bench-scale:
	.venv/bin/python benchmarks/site_scale.py
	.venv/bin/python benchmarks/refresh_scale.py --repeat 2 --render
	.venv/bin/python benchmarks/score_speed.py --oracle
