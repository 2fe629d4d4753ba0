# Recipe of the D3DP and FinePOSE code: AdamW lr 6e-5, weight decay 0.1,
# lr x0.993 per epoch, 100 epochs (4 sequences of 243 frames per batch).
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=6e-5, weight_decay=0.1), clip_grad=None)
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.993, end=100, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=4)
