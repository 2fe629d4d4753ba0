# The tiny CPP stage 1 as measured in configs/cpp/README.md: the stage-1
# config stopped at 1,200 iterations of 2 (about 0.6 epoch, constant lr;
# the heatmap loss levels off from about 900), the checkpoint that the
# measured stage 2 (cpp_tiny-r18-minilm_stage2_1xb2-2000it_l3d-scenes.py)
# loads:
#   python tools/train.py configs/cpp/cpp_tiny-r18-minilm_stage1_1xb2-1200it_l3d-scenes.py
_base_ = ['./cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes.py']

# no val loop: stage 1 predicts root candidates only
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=1200,
    val_interval=10**6)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=1200)
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=600, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
