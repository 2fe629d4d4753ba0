# Tiny D3DP (64 channels, 2 block pairs, 4 heads, 27 frames) on the DeepMimic
# mini set: trains on CPU in minutes. Test: 4 hypotheses, 2 DDIM steps.
#   python tools/dataset_converters/deepmimic_to_h36m.py --out-dir data/deepmimic
#   python tools/train.py configs/d3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/d3dp.py',
    '../_base_/datasets/deepmimic_lifting.py'
]

num_frames = 27
model = dict(
    head=dict(
        denoiser=dict(
            seq_len=num_frames,
            embed_dim=64,
            depth=2,
            num_heads=4,
            drop_path_rate=0.)),
    test_cfg=dict(num_hypotheses=4, num_steps=2))

meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'camera_param', 'target_root', 'action', 'action_text')
train_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='MultiHypothesisMPJPE', modes=('mpjpe', 'p-mpjpe')),
    dict(type='ActionMPJPE', mode='mpjpe'),
    dict(type='ActionMPJPE', mode='p-mpjpe'),
]
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=40, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.96, end=40, by_epoch=True)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=10, save_best='MPJPE', rule='less',
                    max_keep_ckpts=1))
randomness = dict(seed=0)
