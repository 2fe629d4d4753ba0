# Two commands for a fresh machine:
#   make demo   -> installs (if needed) and runs the video demo on embedded defaults
#   make test   -> installs (if needed) and runs the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test data l3d-scenes

install:
	bash tools/install.sh

# the default clip (sports2d's Demo/demo.mp4: a man jumps down from a box, a
# woman walks across the grass) with a default sentence
DEMO_TEXT ?= the person jumping down from the box

demo: install
	$(PY) demo/lifting_demo.py --text "$(DEMO_TEXT)"

test: install
	$(PY) -m pytest tests projects -n 2 --dist loadfile -q -p no:cacheprovider

data: install
	$(PY) tools/dataset_converters/deepmimic_to_h36m.py --out-dir data/deepmimic

# generated multi-person scenes in the Panoptic-L3D layout (L3DHPE task)
l3d-scenes: install
	$(PY) tools/dataset_converters/generate_l3d_scenes.py --out-dir data/l3d_scenes --num-clips 300 --seed 0
