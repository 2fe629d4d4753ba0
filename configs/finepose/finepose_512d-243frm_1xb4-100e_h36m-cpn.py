# FinePOSE, Human3.6M, 243 frames, CPN-detected 2D; action verb prompts.
# Recipe of the authors' code: AdamW lr 6e-5, weight decay 0.1, lr x0.993
# per epoch, 100 epochs, 4 sequences of 243 frames per batch (1024 frames),
# flip augmentation. Test: H=20 hypotheses, M=10 DDIM steps, flip test.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/finepose.py',
    '../_base_/datasets/h36m_lifting_multihyp.py',
    '../_base_/schedules/diffusion_adamw_100e.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=1))
