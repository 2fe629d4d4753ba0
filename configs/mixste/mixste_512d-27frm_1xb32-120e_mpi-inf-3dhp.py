# MixSTE, MPI-INF-3DHP, 27 frames, ground-truth 2D
# (paper: PCK 94.4, AUC 66.5, MPJPE 54.9 mm).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mixste.py',
    '../_base_/datasets/mpi_inf_3dhp_lifting.py'
]

num_frames = 27
# MixSTE's joint weights are defined for the H36M joint order.
model = dict(
    backbone=dict(seq_len=num_frames),
    head=dict(
        root_index=_base_.codec.root_index,
        loss=[
            dict(type='WeightedMPJPELoss'),
            dict(type='TemporalConsistencyLoss', loss_weight=0.5),
            dict(type='MPJVELoss', loss_weight=2.0),
        ]))

train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.1))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.99, end=120, by_epoch=True)
]
default_hooks = dict(
    checkpoint=dict(save_best='PCK', rule='greater', max_keep_ckpts=1))
