# RVOS + 3DHPE cascade (the L3DHPE paper's RVOS baseline), tiny CPU variant
# on the generated Panoptic-L3D-layout scenes:
#   python tools/dataset_converters/generate_l3d_scenes.py --out-dir data/l3d_scenes
#   python tools/train.py \
#       configs/cascade/rvos-referformer_r18-minilm_1xb2-10e_l3d-scenes.py
# A ReferFormer-style referring segmenter (ResNet-18, packaged MiniLM text,
# 64-d deformable transformer, 1 encoder + 2 decoder layers, 5 queries) is
# trained on the referred person's current-frame mask; at test time its mask
# selects one of the simulated 2D detections, which is tracked over the
# 6-frame window and lifted to absolute 3D by the frozen default lifter
# (checkpoints/mixste_small_deepmimic_dr.pth) with the root from the camera.
_base_ = [
    '../_base_/default_runtime.py', '../l3dhpe/l3d-scenes_960x512-6frm.py'
]

input_size = (240, 128)  # (w, h)
embed_dims = 64

model = dict(
    type='RVOSCascade',
    segmenter=dict(
        type='ReferFormerSegmenter',
        backbone=dict(
            type='mmdet.ResNet',
            depth=18,
            num_stages=4,
            out_indices=(1, 2, 3),
            frozen_stages=-1,
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False,
            style='pytorch',
            init_cfg=None),  # random init: no download
        neck=dict(
            type='mmdet.ChannelMapper',
            in_channels=[128, 256, 512],
            kernel_size=1,
            out_channels=embed_dims,
            act_cfg=None,
            norm_cfg=dict(type='GN', num_groups=32),
            num_outs=4),
        text_encoder=dict(type='SentenceEncoder'),  # packaged MiniLM, frozen
        embed_dims=embed_dims,
        num_levels=4,
        num_queries=5,
        num_heads=8,
        num_points=4,
        num_encoder_layers=1,
        num_decoder_layers=2,
        feedforward_channels=4 * embed_dims,
        dropout=0.1,
        mask_dims=8,
        dynamic_dims=8,
        dynamic_layers=3,
        mask_loss_stride=4,
        # not in ReferFormer: dense text-to-pixel supervision (CRIS style),
        # since this tiny segmenter starts from random weights on CPU
        text_pixel_loss=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            naive_dice=True,
            eps=1.0,
            loss_weight=2.0),
        aux_loss=True),
    lifter=dict(model=None, weights=None),  # the toolbox's default lifter
    min_keypoint_score=0.3,
    data_preprocessor=dict(
        type='L3DDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))

train_pipeline = [
    dict(type='LoadL3DFrames', window=True),
    dict(type='LoadReferMask'),
    dict(type='SimulateDetections2D'),
    dict(type='ResizeL3D', input_size=input_size),
    dict(type='PackL3DInputs'),
]
test_pipeline = [
    dict(type='LoadL3DFrames', window=True),
    dict(type='LoadReferMask'),
    dict(type='SimulateDetections2D', test_mode=True),
    dict(type='ResizeL3D', input_size=input_size),
    dict(type='PackL3DInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
val_evaluator = dict(type='L3DHPEMetric')
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
# The CPU recipe (random init, a short schedule): AdamW 4e-4 for every
# part (the frozen text encoder gets no gradient), gradient clip 1.0; the
# paper-like config keeps ReferFormer's 1e-4 and clip 0.1.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[8], gamma=0.1, by_epoch=True)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        save_best='PICI',
        rule='greater',
        max_keep_ckpts=2))
randomness = dict(seed=0)
