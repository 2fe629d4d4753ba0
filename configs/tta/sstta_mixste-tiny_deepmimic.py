# Semantics-aware test-time adaptation of the tiny DeepMimic MixSTE, the
# full method (+ alignment, + 2D EMA, + fill-in): the last row of the
# ablation in configs/tta/README.md.
#   python tools/tta.py configs/tta/sstta_mixste-tiny_deepmimic.py \
#       checkpoints/mixste_tiny_deepmimic.pth VIDEO --text "a person walks"
_base_ = [
    '../mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py',
    '../_base_/tta/semantic_tta.py'
]
