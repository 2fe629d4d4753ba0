# Ablation row "+ 2D EMA": alignment and the EMA update of the 2D targets,
# no fill-in.
_base_ = ['./sstta_mixste-small_deepmimic-shift.py']

tta_cfg = dict(use_alignment=True, use_ema=True, use_fill_in=False)
