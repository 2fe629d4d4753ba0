# CPP (Cascaded Pose Perception, the L3DHPE paper's model), tiny CPU
# variant, STAGE 1 on the generated Panoptic-L3D-layout scenes:
#   python tools/dataset_converters/generate_l3d_scenes.py --out-dir data/l3d_scenes
#   python tools/train.py configs/cpp/cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes.py
# Stage 1 builds and trains only the 2D pose branch (ResNet-18 from scratch
# + deconv neck + VoxelPoseMapHead: joint / root heatmaps, root depth and box
# maps at stride 4; heatmap / box / depth losses 10000 / 1 / 1). The
# stage-2 config inherits this one and loads its checkpoint (load_from).
# 240 x 128 inputs (60 x 32 heatmaps) and 2-frame windows for CPU speed.
_base_ = [
    '../_base_/default_runtime.py', '../l3dhpe/l3d-scenes_960x512-6frm.py'
]

input_size = (240, 128)  # (w, h)
heatmap_size = (60, 32)  # input / 4
window = 2
embed_dims = 64
pose_channels = 64

model = dict(
    type='CPP',
    train_stage=1,
    num_frames=window,
    pose_backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 3),  # stride 4 (grid to align to) and stride 32
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),  # random init: no download
    pose_neck=dict(
        type='PoseDeconvNeck',
        in_channels=512,
        out_channels=(pose_channels, ) * 3,
        align_index=0),
    pose_head=dict(
        type='VoxelPoseMapHead',
        in_channels=pose_channels,
        num_joints=15,
        feat_channels=pose_channels,
        heatmap_size=heatmap_size,
        loss_heatmap=dict(type='mmpose.KeypointMSELoss', loss_weight=10000.),
        loss_box=dict(type='mmdet.L1Loss', loss_weight=1.),
        loss_depth=dict(type='mmdet.L1Loss', loss_weight=1.)),
    text_encoder=dict(type='SentenceEncoder'),  # packaged MiniLM, frozen
    video_encoder=dict(
        type='VideoSwinEncoder',
        swin=dict(
            embed_dims=32,
            depths=(1, 1, 1, 1),
            num_heads=(2, 4, 8, 16),
            window_size=7,
            drop_path_rate=0.,
            init_cfg=None),
        out_indices=(1, 2, 3),
        temporal_layers=1,
        temporal_heads=4),
    body_fusion=dict(type='BodyFusionBlock', use_pose=True),
    mask_fusion=dict(type='MaskFusionBlock'),
    skeleton_head=dict(type='CPPSkeletonHead', hidden_dims=128),
    root_estimator=dict(
        type='CPPRootEstimator',
        space_size=(8000., 8000., 2400.),
        cube_size=(80, 80, 24)),
    embed_dims=embed_dims,
    num_levels=4,
    num_queries=10,
    num_heads=8,
    num_points=4,
    num_encoder_layers=1,
    num_decoder_layers=2,
    feedforward_channels=4 * embed_dims,
    dropout=0.1,
    peak_threshold=0.3,
    # not in the paper: dense text-to-pixel supervision (CRIS style), since
    # this tiny model starts from random weights on CPU
    text_pixel_loss=dict(
        type='mmdet.DiceLoss',
        use_sigmoid=True,
        activate=True,
        naive_dice=True,
        eps=1.0,
        loss_weight=2.0),
    data_preprocessor=dict(
        type='L3DDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))

# the referred person's mask and everyone's (gt_instances.masks) are loaded
train_pipeline = [
    dict(type='LoadL3DFrames', window=True),
    dict(type='LoadReferMask'),
    dict(type='ResizeL3D', input_size=input_size),
    dict(
        type='GenerateVoxelPoseTargets',
        heatmap_size=heatmap_size,
        sigma=2,
        max_people=10),
    dict(type='PackL3DInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(window=window, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(window=window, pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(window=window, pipeline=test_pipeline))
val_evaluator = dict(type='L3DHPEMetric')
test_evaluator = val_evaluator

# stage 1 has no referral yet (predict gives root candidates only): the
# val loop is configured (stage 2 inherits it) but never runs in stage 1
# (val_begin after the last epoch); the last checkpoint feeds stage 2
train_cfg = dict(by_epoch=True, max_epochs=10, val_begin=10**6)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[8], gamma=0.1, by_epoch=True)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
