# hcbook: `make book` sets everything up and builds the site; `make test` runs every test.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
PROFILE ?= cpu
CHAPTERS ?= $(wildcard chapters/*.ipynb)

.PHONY: setup book test run lab clean

setup: .venv/.setup-done
.venv/.setup-done: pyproject.toml requirements.lock scripts/setup.sh scripts/site-assets/package-lock.json scripts/site-assets/fonts.css
	bash scripts/setup.sh
	touch $@

book: setup          ## build the static site from the committed outputs into _build/html
	jupyter-book build . --all --builder html -W -n --keep-going

test: setup          ## unit tests, every notebook under nbval (ci profile), notebook check, site in a browser
	bash scripts/test.sh

run: setup           ## re-execute chapters under a profile and save their outputs: make run PROFILE=cpu
	python scripts/run_chapters.py --profile $(PROFILE) $(CHAPTERS)

lab: setup           ## open the book in JupyterLab (MyST rendered by jupyterlab-myst); as root too
	jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) chapters/

clean:
	rm -rf _build .pytest_cache
