# 3DHPE+Refer on the real Panoptic-L3D (paper, Table 3): RoBERTa-base
# sentence embeddings (frozen, hub name; set HF_HUB_OFFLINE=1 once it is in
# the local cache), 960 x 512 inputs, a 4-layer text-skeleton fusion.
#   python tools/train.py configs/cascade/hpe-refer_roberta-4l_1xb8-20e_panoptic-l3d.py
_base_ = [
    '../_base_/default_runtime.py', '../l3dhpe/panoptic-l3d_960x512-6frm.py'
]

input_size = (960, 512)
colour_dim = 6

train_pipeline = [
    dict(type='LoadL3DFrames', window=False),
    dict(type='SimulateDetections2D'),
    dict(type='ResizeL3D', input_size=input_size),
    dict(type='PackL3DInputs'),
]
test_pipeline = [
    dict(type='LoadL3DFrames', window=False),
    dict(type='SimulateDetections2D', test_mode=True, seed=0),
    dict(type='ResizeL3D', input_size=input_size),
    dict(type='PackL3DInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))

model = dict(
    type='HPEReferCascade',
    fusion=dict(
        type='SkeletonTextFusion',
        text_encoder=dict(type='SentenceEncoder', pretrained='roberta-base'),
        colour_dim=colour_dim,
        embed_dims=256,
        num_layers=4,
        num_heads=8,
        dropout=0.1),
    lifter=dict(model=None, weights=None),
    max_cost=0.5,
    bce_weight=0.5,
    data_preprocessor=dict(type='L3DDataPreprocessor'))

train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=2)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.01),
    clip_grad=dict(max_norm=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=200),
    dict(
        type='CosineAnnealingLR',
        T_max=20,
        eta_min=1e-6,
        by_epoch=True,
        begin=0,
        end=20)
]
val_evaluator = dict(type='L3DHPEMetric')
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(
        interval=2, save_best='PICI', rule='greater', max_keep_ckpts=2))
randomness = dict(seed=0)
