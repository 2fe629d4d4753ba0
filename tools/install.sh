#!/usr/bin/env bash
# One-command, idempotent install of mmlpose and its pinned OpenMMLab stack into a virtualenv.
#
#   bash tools/install.sh            # creates/updates ./.venv (override with MMLPOSE_VENV)
#
# - Only package registries are used; nothing is downloaded from a model hub.
# - mmcv 2.1.0 has no wheel for torch 2.14: it is built once from its sdist with compiled ops
#   (C++20 patch) and the wheel is cached in $MMLPOSE_CACHE (default ~/.cache/mmlpose), keyed on
#   the torch and Python versions, so later installs reuse it.
# - A stamp holding the hash of requirements/ and this script makes a repeated run a no-op.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMLPOSE_VENV:-$ROOT/.venv}"
CACHE="${MMLPOSE_CACHE:-$HOME/.cache/mmlpose}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

STAMP="$VENV/.mmlpose-install-stamp"
HASH="$(cat "$ROOT"/requirements/*.txt "$ROOT/tools/install.sh" "$ROOT/setup.py" "$ROOT/pyproject.toml" \
    | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" ]]; then
    echo "[install] environment up to date: $VENV"
    exit 0
fi

t0=$SECONDS
log() { echo "[install $((SECONDS - t0))s] $*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=(pip_quiet install --disable-pip-version-check -q)
# pip here may warn about configured local index folders that lack a package;
# those lines are noise, everything else is shown.
pip_quiet() { "$PY" -m pip "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }
pin() { grep -E "^$1==" "$ROOT"/requirements/*.txt | head -1 | cut -d: -f2; }

log "build tools"
"${PIP[@]}" --upgrade "pip==25.1.1"
"${PIP[@]}" -r "$ROOT/requirements/build.txt"

log "runtime requirements (torch, transformers, ...)"
"${PIP[@]}" -r "$ROOT/requirements/runtime.txt"

# --- mmcv with compiled ops, cached wheel -------------------------------------------------
MMCV_PIN="$(pin mmcv)"
MMCV_VER="${MMCV_PIN#mmcv==}"
TORCH_VER="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VER-torch$TORCH_VER-$PY_TAG"
if ! "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VER')" 2>/dev/null; then
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        log "building $MMCV_PIN with ops for torch $TORCH_VER (about 6 minutes, once)"
        BUILD="$(mktemp -d)"
        "$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: \
            "$MMCV_PIN" -d "$BUILD"
        tar -xzf "$BUILD"/mmcv-*.tar.gz -C "$BUILD"
        SRC="$(ls -d "$BUILD"/mmcv-*/)"
        # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes -std=c++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
        mkdir -p "$WHEEL_DIR"
        (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" CFLAGS=-g0 CXXFLAGS=-g0 \
            "$PY" -m pip wheel --disable-pip-version-check -q --no-build-isolation --no-deps . -w "$WHEEL_DIR")
        rm -rf "$BUILD"
    else
        log "reusing cached mmcv wheel from $WHEEL_DIR"
    fi
    "${PIP[@]}" --no-deps "$WHEEL_DIR"/mmcv-*.whl
fi

log "OpenMMLab packages (--no-deps) and xtcocotools from source (numpy ABI)"
"${PIP[@]}" --no-deps "$(pin mmengine)" "$(pin mmdet)" "$(pin mmpose)"
"${PIP[@]}" --no-deps --no-build-isolation --no-binary xtcocotools "$(pin xtcocotools)"

log "assets packages (mediapipe, pybullet, sports2d, ...) and test tools"
"${PIP[@]}" --no-deps -r "$ROOT/requirements/optional.txt"
"${PIP[@]}" -r "$ROOT/requirements/tests.txt"

log "mmlpose (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e "$ROOT"

"$PY" -c "import mmcv.ops, mmdet.models, mmpose.models, mmlpose; print('[install] ok: mmlpose', mmlpose.__version__)"
echo "$HASH" > "$STAMP"
log "done"
