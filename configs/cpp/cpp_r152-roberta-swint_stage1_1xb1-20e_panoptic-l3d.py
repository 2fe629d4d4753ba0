# CPP (Cascaded Pose Perception), the paper's configuration on Panoptic-L3D,
# STAGE 1: the 2D pose branch only (ResNet-152 + deconv neck to stride 4 +
# VoxelPoseMapHead; heatmap / box / depth losses 10000 / 1 / 1), 20 epochs,
# lr 1e-4 (FORMATS.md: the released configs; the paper says 10 epochs).
# 960 x 512 inputs, 240 x 128 heatmaps, 6-frame windows, at most 10 people.
# The model dict is the whole CPP (train_stage=1 builds only the pose
# branch), so the stage-2 config only switches the stage.
# Pretrained weights (ImageNet ResNet-152 from torchvision, ImageNet Swin-T)
# are read by init_cfg at training time; RoBERTa-base by hub name (put it in
# the local Hugging Face cache for offline use).
_base_ = [
    '../_base_/default_runtime.py', '../l3dhpe/panoptic-l3d_960x512-6frm.py'
]

input_size = (960, 512)
heatmap_size = (240, 128)
window = 6
embed_dims = 256
pose_channels = 256

model = dict(
    type='CPP',
    train_stage=1,
    num_frames=window,
    pose_backbone=dict(
        type='mmdet.ResNet',
        depth=152,
        num_stages=4,
        out_indices=(0, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet152')),
    pose_neck=dict(
        type='PoseDeconvNeck',
        in_channels=2048,
        out_channels=(256, 256, 256),
        align_index=0),
    pose_head=dict(
        type='VoxelPoseMapHead',
        in_channels=256,
        num_joints=15,
        feat_channels=pose_channels,
        heatmap_size=heatmap_size,
        loss_heatmap=dict(type='mmpose.KeypointMSELoss', loss_weight=10000.),
        loss_box=dict(type='mmdet.L1Loss', loss_weight=1.),
        loss_depth=dict(type='mmdet.L1Loss', loss_weight=1.)),
    # RoBERTa-base, frozen
    text_encoder=dict(
        type='SentenceEncoder', pretrained='roberta-base', max_length=40),
    # Video Swin-T: mmdet's Swin-T per frame + a temporal attention per level
    # (see mmlpose/models/backbones/video_swin.py), 256-d levels
    video_encoder=dict(
        type='VideoSwinEncoder',
        swin=dict(
            embed_dims=96,
            depths=(2, 2, 6, 2),
            num_heads=(3, 6, 12, 24),
            window_size=7,
            drop_path_rate=0.1,
            convert_weights=True,
            init_cfg=dict(
                type='Pretrained',
                checkpoint='https://github.com/SwinTransformer/storage/'
                'releases/download/v1.0.0/swin_tiny_patch4_window7_224.pth')),
        out_indices=(1, 2, 3),
        temporal_layers=1,
        temporal_heads=8),
    body_fusion=dict(type='BodyFusionBlock', use_pose=True),
    mask_fusion=dict(type='MaskFusionBlock'),
    skeleton_head=dict(type='CPPSkeletonHead', hidden_dims=256),
    root_estimator=dict(
        type='CPPRootEstimator',
        space_size=(8000., 8000., 2400.),
        cube_size=(80, 80, 24)),
    embed_dims=embed_dims,
    num_levels=4,
    num_queries=10,
    num_heads=8,
    num_points=4,
    num_encoder_layers=3,
    num_decoder_layers=3,
    feedforward_channels=1024,
    dropout=0.1,
    peak_threshold=0.3,
    text_pixel_loss=None,
    data_preprocessor=dict(
        type='L3DDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))

train_dataloader = dict(batch_size=1)
val_evaluator = dict(type='L3DHPEMetric')
test_evaluator = val_evaluator

# stage 1 has no referral yet: the val loop (inherited by stage 2) never
# runs in stage 1 (val_begin after the last epoch)
train_cfg = dict(by_epoch=True, max_epochs=20, val_begin=10**6)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[15], gamma=0.1, by_epoch=True)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
