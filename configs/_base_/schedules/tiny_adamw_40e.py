# CPU-sized schedule of the tiny DeepMimic configs: AdamW lr 1e-3, x0.96 per
# epoch, 40 epochs.
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.96, end=40, by_epoch=True)
]
randomness = dict(seed=0)
