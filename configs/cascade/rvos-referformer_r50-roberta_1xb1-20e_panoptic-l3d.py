# RVOS + 3DHPE cascade, the paper-like variant on the real Panoptic-L3D
# (ReferFormer's settings): ResNet-50, frozen RoBERTa-base text, a 256-d
# deformable transformer on 4 levels with 3 encoder + 3 decoder layers,
# 5 queries, box refinement and the dynamic mask head, 960 x 512 inputs,
# 6-frame windows; ReferFormer's loss weights (focal 2, L1 5, GIoU 2, mask
# focal 2, dice 5). RoBERTa-base is read by hub name (put it in the local
# Hugging Face cache for offline use); the backbone starts from scratch
# unless `init_cfg` is pointed at local weights.
_base_ = ['./rvos-referformer_r18-minilm_1xb2-10e_l3d-scenes.py']

data_root = 'data/Panoptic-L3D/'  # as l3dhpe/panoptic-l3d_960x512-6frm.py
input_size = (960, 512)
embed_dims = 256

model = dict(
    segmenter=dict(
        backbone=dict(depth=50),
        neck=dict(in_channels=[512, 1024, 2048], out_channels=embed_dims),
        text_encoder=dict(
            type='SentenceEncoder', pretrained='roberta-base', max_length=40),
        embed_dims=embed_dims,
        num_queries=5,
        num_encoder_layers=3,
        num_decoder_layers=3,
        feedforward_channels=1024,
        text_pixel_loss=None))  # ReferFormer has no text-pixel loss

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
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))

train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=2)
# lr 1e-4, backbone 5e-5 (the text encoder is frozen), clip 0.1
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'segmenter.backbone': dict(lr_mult=0.5)}),
    clip_grad=dict(max_norm=0.1, norm_type=2))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[15], gamma=0.1, by_epoch=True)
]
