# Ablation row "none": the 2D projection and smoothing losses on fixed 2D
# targets, no motion-text alignment, no EMA, no fill-in (CycleAdapt-like:
# fixed detections with confidence > 0.3). The motion space is not loaded.
_base_ = ['./sstta_mixste-tiny_deepmimic.py']

tta_cfg = dict(use_alignment=False, use_ema=False, use_fill_in=False)
