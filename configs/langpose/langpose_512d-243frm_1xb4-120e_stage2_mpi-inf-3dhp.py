# LangPose stage 2 on MPI-INF-3DHP with ground-truth 2D, 243 frames (paper:
# 15.5 mm MPJPE). No action labels or texts: the 3D losses + the
# distillation regulariser towards the frozen stage-1 motion embedding.
# Schedule: MixSTE's 3DHP recipe (AdamW lr 4e-5, weight decay 0.1, x0.99
# per epoch, 120 epochs) at batch 4 for 243-frame windows.
#   python tools/train.py \
#       configs/langpose/langpose_512d-243frm_1xb32-40e_stage1_deepmimic.py
#   python tools/train.py \
#       configs/langpose/langpose_512d-243frm_1xb4-120e_stage2_mpi-inf-3dhp.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/langpose.py',
    '../_base_/datasets/mpi_inf_3dhp_lifting.py'
]

num_frames = 243
# MixSTE's joint weights are defined for the H36M joint order; 3DHP's root
# is joint 14. Stage 1 (H36M joints) and 3DHP (mmpose's 17 3DHP joints)
# share the joint count, so the weights load; the joint meanings differ
# and are re-learnt here.
model = dict(
    head=dict(
        root_index=_base_.codec.root_index,
        loss=[
            dict(type='WeightedMPJPELoss'),
            dict(type='TemporalConsistencyLoss', loss_weight=0.5),
            dict(type='MPJVELoss', loss_weight=2.0),
        ]),
    motion_head=dict(num_classes=18),
    distill_loss_weight=1.0)

load_from = 'work_dirs/langpose_512d-243frm_1xb32-40e_stage1_deepmimic/' \
    'epoch_40.pth'
# load_from is strict (MMLPoseRunner): stage 1 trains on 27-frame windows,
# so its temporal position embedding (1, 27, 512) does not fit the 243-frame
# model and keeps stage 2's initialisation; any other difference is refused.
load_from_new_keys = ['backbone.temporal_pos_embed']
load_from_dropped_keys = []

train_dataloader = dict(
    batch_size=4, dataset=dict(multiple_target=num_frames))
val_dataloader = dict(
    batch_size=4, dataset=dict(multiple_target=num_frames))
test_dataloader = val_dataloader

train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.1))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.99, end=120, by_epoch=True)
]
default_hooks = dict(
    checkpoint=dict(save_best='PCK', rule='greater', max_keep_ckpts=1))
