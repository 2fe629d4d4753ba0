# The default lifter of the demo: MixSTE (96 channels, 3 block pairs, 27
# frames) trained with domain randomisation on the DeepMimic motion capture
# (random bodies, cameras and MediaPipe-like 2D; see
# configs/_base_/datasets/deepmimic_randomized_lifting.py). The 3D target is
# the body's joint centres with Human3.6M proportions.
#   python tools/train.py configs/mixste/mixste_small-27frm_1xb64-40e_deepmimic-dr.py
# The published checkpoint is these 40 epochs (before the torso-lean
# augmentation existed) followed by 10 more with it, at lr 3e-4:
#   python tools/train.py configs/mixste/mixste_small-27frm_1xb64-40e_deepmimic-dr.py \
#       --work-dir work_dirs/dr_ft --cfg-options \
#       load_from=work_dirs/mixste_small-27frm_1xb64-40e_deepmimic-dr/best_MPJPE_epoch_40.pth \
#       train_cfg.max_epochs=10 train_cfg.val_interval=10 \
#       optim_wrapper.optimizer.lr=3e-4 param_scheduler.1.T_max=10 \
#       param_scheduler.1.end=10
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mixste.py',
    '../_base_/datasets/deepmimic_randomized_lifting.py'
]

num_frames = 27
channels = 96
model = dict(
    backbone=dict(
        seq_len=num_frames,
        embed_dim=channels,
        depth=3,
        num_heads=8,
        drop_path_rate=0.),
    head=dict(in_channels=channels))

train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=40, eta_min=1e-5, by_epoch=True,
         begin=0, end=40)
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=10, save_best='MPJPE', rule='less',
                    max_keep_ckpts=1))
randomness = dict(seed=0)
