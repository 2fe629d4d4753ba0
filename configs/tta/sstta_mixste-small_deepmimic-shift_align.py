# Ablation row "+ alignment": the motion-text alignment loss on top of the
# 2D-only row; fixed 2D targets (no EMA, no fill-in).
_base_ = ['./sstta_mixste-small_deepmimic-shift.py']

tta_cfg = dict(use_alignment=True, use_ema=False, use_fill_in=False)
