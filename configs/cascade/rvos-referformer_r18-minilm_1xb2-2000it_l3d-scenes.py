# The tiny RVOS + 3DHPE cascade as measured in configs/l3dhpe/README.md:
# 2,000 iterations of 2 (about 0.9 epoch; lr x0.1 after 1,600) from random
# weights, 2-frame training windows (6-frame windows at test time),
# validated at the end:
#   python tools/train.py configs/cascade/rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes.py
#   python tools/test.py configs/cascade/rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes.py \
#       work_dirs/rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes/iter_2000.pth
_base_ = ['./rvos-referformer_r18-minilm_1xb2-10e_l3d-scenes.py']

# not in ReferFormer: colour in the text-pixel map, its person-level loss and
# its mean under each query's mask in the referred logit (as CPP's tiny
# 2,000-iteration config)
model = dict(
    segmenter=dict(
        pixel_colour=True, mask_text_score=True,
        text_person_loss_weight=2.0))

train_dataloader = dict(dataset=dict(window=2))

train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=2000,
    val_interval=2000)
param_scheduler = [
    dict(type='MultiStepLR', milestones=[1600], gamma=0.1, by_epoch=False)
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=500))
log_processor = dict(by_epoch=False)
