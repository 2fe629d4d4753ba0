# LangPose stage 2 on Human3.6M with CPN-detected 2D, 243 frames (paper:
# 36.7 mm MPJPE). No action labels or texts: the 3D losses + the
# distillation regulariser towards the frozen stage-1 motion embedding.
# Schedule: MixSTE's H36M recipe (AdamW lr 4e-5, weight decay 0.1, x0.99 per
# epoch, batch 4, 160 epochs, flip test); the paper gives none of its own.
#   python tools/train.py \
#       configs/langpose/langpose_512d-243frm_1xb32-40e_stage1_deepmimic.py
#   python tools/train.py \
#       configs/langpose/langpose_512d-243frm_1xb4-160e_stage2_h36m-cpn.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/langpose.py',
    '../_base_/datasets/h36m_lifting.py'
]

model = dict(
    # the stage-1 classifier (18 DeepMimic actions), kept so that the
    # checkpoint loads exactly; unused without labels
    motion_head=dict(num_classes=18),
    distill_loss_weight=1.0)

load_from = 'work_dirs/langpose_512d-243frm_1xb32-40e_stage1_deepmimic/' \
    'epoch_40.pth'
# load_from is strict (MMLPoseRunner): stage 1 trains on 27-frame windows,
# so its temporal position embedding (1, 27, 512) does not fit the 243-frame
# model and keeps stage 2's initialisation; any other difference is refused.
load_from_new_keys = ['backbone.temporal_pos_embed']
load_from_dropped_keys = []

train_cfg = dict(by_epoch=True, max_epochs=160, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.1), clip_grad=None)
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
