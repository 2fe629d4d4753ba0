# Ablation row "none" (CycleAdapt-like): 2D projection and smoothing only,
# fixed 2D targets (no alignment, no EMA, no fill-in).
_base_ = ['./sstta_mixste-small_deepmimic-shift.py']

tta_cfg = dict(use_alignment=False, use_ema=False, use_fill_in=False)
