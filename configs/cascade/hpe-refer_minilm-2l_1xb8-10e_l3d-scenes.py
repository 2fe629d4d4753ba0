# 3DHPE+Refer (the Panoptic-L3D paper's cascade baseline), tiny CPU variant
# on the generated L3D scenes: simulated 2D detections -> Hungarian tracks
# over the 6-frame window -> the frozen default lifter (absolute 3D of
# everyone) -> a 2-layer text-skeleton fusion on the packaged MiniLM picks
# the referred person.
#   python tools/dataset_converters/generate_l3d_scenes.py --out-dir data/l3d_scenes
#   python tools/train.py configs/cascade/hpe-refer_minilm-2l_1xb8-10e_l3d-scenes.py
_base_ = [
    '../_base_/default_runtime.py', '../l3dhpe/l3d-scenes_960x512-6frm.py'
]

input_size = (240, 128)
colour_dim = 6  # SimulateDetections2D(with_hsv=False)

train_pipeline = [
    dict(type='LoadL3DFrames', window=False),
    dict(type='SimulateDetections2D'),
    dict(type='ResizeL3D', input_size=input_size),
    dict(type='PackL3DInputs'),
]
# the same detections every evaluation (seeded per sample)
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
        text_encoder=dict(type='SentenceEncoder'),
        colour_dim=colour_dim,
        embed_dims=128,
        num_layers=2,
        num_heads=4,
        dropout=0.1),
    # None: the toolbox's default lifter and its checkpoint
    # (checkpoints/mixste_small_deepmimic_dr.pth), frozen
    lifter=dict(model=None, weights=None),
    max_cost=0.5,
    bce_weight=0.5,
    data_preprocessor=dict(type='L3DDataPreprocessor'))

train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(
        type='CosineAnnealingLR',
        T_max=10,
        eta_min=3e-4,
        by_epoch=True,
        begin=0,
        end=10)
]
val_evaluator = dict(type='L3DHPEMetric')
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=1, save_best='PICI', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
