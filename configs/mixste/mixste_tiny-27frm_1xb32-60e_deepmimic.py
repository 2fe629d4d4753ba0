# Tiny MixSTE (64 channels, 2 block pairs, 27 frames) on the DeepMimic mini
# set: trains on CPU in minutes; the demo's default lifter.
#   python tools/dataset_converters/deepmimic_to_h36m.py --out-dir data/deepmimic
#   python tools/train.py configs/mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mixste.py',
    '../_base_/datasets/deepmimic_lifting.py'
]

num_frames = 27
model = dict(
    backbone=dict(
        seq_len=num_frames,
        embed_dim=64,
        depth=2,
        num_heads=4,
        drop_path_rate=0.),
    head=dict(in_channels=64))

train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.96, end=60, by_epoch=True)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=10, save_best='MPJPE', rule='less',
                    max_keep_ckpts=1))
randomness = dict(seed=0)
