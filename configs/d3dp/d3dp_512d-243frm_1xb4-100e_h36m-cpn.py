# D3DP, Human3.6M, 243 frames, CPN-detected 2D. Recipe of the authors' code
# (AdamW 6e-5, wd 0.1, x0.993 per epoch, 100 epochs, flip augmentation and
# flip test); test defaults of their code: 5 hypotheses, 5 DDIM steps.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/d3dp.py',
    '../_base_/datasets/h36m_lifting_multihyp.py',
    '../_base_/schedules/diffusion_adamw_100e.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=1))
