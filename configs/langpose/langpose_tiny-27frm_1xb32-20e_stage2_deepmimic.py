# LangPose stage 2 (fine-tuning without action labels), tiny CPU variant:
# starts from the tiny stage-1 checkpoint and trains on the DeepMimic 3D
# with the plain lifting pipeline (clean 2D, flip augmentation, no texts or
# labels: only the 3D losses + the distillation regulariser
# distill_loss_weight * (1 - cos(embed, frozen stage-1 embed)) that keeps
# the motion-language alignment). Evaluated on the held-out clips with the
# MPJPE family and text-motion retrieval.
#   python tools/train.py \
#       configs/langpose/langpose_tiny-27frm_1xb32-40e_stage1_deepmimic.py
#   python tools/train.py \
#       configs/langpose/langpose_tiny-27frm_1xb32-20e_stage2_deepmimic.py
# Same model as stage 1 (so that its weights load exactly, classifier
# included); only the distillation regulariser is switched on. Without texts
# or labels the alignment and classification losses are not computed.
_base_ = ['./langpose_tiny-27frm_1xb32-40e_stage1_deepmimic.py']

model = dict(distill_loss_weight=1.0)

# stage 2 data: 3D without texts or action labels
train_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=_base_.lifting_meta_keys),
]
train_dataloader = dict(
    dataset=dict(type='Human36mTextDataset', pipeline=train_pipeline))

load_from = 'work_dirs/langpose_tiny-27frm_1xb32-40e_stage1_deepmimic/' \
    'epoch_40.pth'
# load_from is strict (MMLPoseRunner): the same model as stage 1, so no
# weight is expected to be new or left unused
load_from_new_keys = []
load_from_dropped_keys = []

# fine-tuning: lr 5e-4 (half of stage 1's), x0.96 per epoch, 20 epochs
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.01))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.96, end=20, by_epoch=True)
]
