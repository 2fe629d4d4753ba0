# FinePOSE on EgoHumans (multi-human; paper: 34.3 mm average MPJPE), with
# the Human3.6M recipe (AdamW 6e-5, wd 0.1, x0.993 per epoch, 100 epochs;
# test H=20, M=10, flip). Multi-human protocol of the paper: every person is
# lifted on their own; frames where a person is out of view are zero-filled
# (2D and 3D) and masked out of the loss and the metrics; the per-person
# predictions are stacked along a person axis, (P, T, K, 3) per sequence and
# camera (mmlpose.apis.lift_multi_person). Data: see
# configs/_base_/datasets/egohumans_lifting.py and docs/datasets.md. The
# prompt's action verb is the sequence's activity (tagging, lego assembling,
# fencing, ...).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/finepose.py',
    '../_base_/datasets/egohumans_lifting.py',
    '../_base_/schedules/diffusion_adamw_100e.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=1))
