# MixSTE, Human3.6M, 243 frames, CPN-detected 2D (paper: 40.9 mm MPJPE).
# Recipe of the paper's code: AdamW lr 4e-5, weight decay 0.1, lr x0.99 per
# epoch, 4 sequences of 243 frames per batch, flip augmentation, flip test.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mixste.py',
    '../_base_/datasets/h36m_lifting.py'
]

train_cfg = dict(by_epoch=True, max_epochs=160, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.1),
    clip_grad=None)
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.99, end=160, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=1))

train_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_train.npy'))
val_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_test.npy'))
test_dataloader = val_dataloader
