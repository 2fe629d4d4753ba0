# Ablation row "+ 2D EMA": alignment and the per-epoch EMA update of the 2D
# targets with the projections; no fill-in.
_base_ = ['./sstta_mixste-tiny_deepmimic.py']

tta_cfg = dict(use_alignment=True, use_ema=True, use_fill_in=False)
