# The tiny CPP stage 2 as measured in configs/cpp/README.md: 2,000
# iterations of 2 (about 0.9 epoch; lr x0.1 after 1,600), validated at the
# end, from the measured stage 1 (1,200 iterations):
#   python tools/train.py configs/cpp/cpp_tiny-r18-minilm_stage1_1xb2-1200it_l3d-scenes.py
#   python tools/train.py configs/cpp/cpp_tiny-r18-minilm_stage2_1xb2-2000it_l3d-scenes.py
_base_ = ['./cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py']

load_from = 'work_dirs/cpp_tiny-r18-minilm_stage1_1xb2-1200it_l3d-scenes/iter_1200.pth'  # noqa: E501

# not in the paper: colour in the text-pixel map, its person-level loss and
# its mean under each query's mask in the referred logit
model = dict(
    pixel_colour=True, mask_text_score=True, text_person_loss_weight=2.0)

train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=2000,
    val_interval=2000)
param_scheduler = [
    dict(type='MultiStepLR', milestones=[1600], gamma=0.1, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=500))
log_processor = dict(by_epoch=False)
