# CPP, the paper's configuration on Panoptic-L3D, STAGE 2: the whole model
# (ResNet-152 pose branch from stage 1, frozen RoBERTa-base, Video Swin-T,
# body fusion, box-initialised 10-query deformable transformer with 4
# levels, 256-d, 3 + 3 layers, box refinement and the dynamic mask head,
# mask fusion, 3D skeleton block, root estimator in the 8 x 8 x 2.4 m
# space). 10 epochs, lr 1e-4, pose backbone and text encoder 5e-5 (the
# frozen text encoder gets no gradient), gradient clip 0.1; losses dice 5,
# mask focal 2, class 2, box 2, GIoU 2, 3D 1 (+ the stage-1 pose losses).
_base_ = ['./cpp_r152-roberta-swint_stage1_1xb1-20e_panoptic-l3d.py']

model = dict(train_stage=2)

load_from = 'work_dirs/cpp_r152-roberta-swint_stage1_1xb1-20e_panoptic-l3d/epoch_20.pth'  # noqa: E501
# the parts built only in stage 2 (CPP.STAGE2_KEYS)
load_from_new_keys = [
    'text_proj.', 'video_encoder.', 'body_fusion.', 'level_embed', 'encoder.',
    'decoder.', 'query_content.', 'query_rank.', 'query_pos_head.',
    'cls_branches.', 'reg_branches.', 'mask_branch.', 'controller.',
    'mask_fusion.', 'skeleton_head.', 'pixel_proj.', 'sentence_proj.',
    'text_score_scale'
]

train_cfg = dict(by_epoch=True, max_epochs=10, val_begin=1, val_interval=1)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={
        'pose_backbone': dict(lr_mult=0.5),
        'text_encoder': dict(lr_mult=0.5)
    }),
    clip_grad=dict(max_norm=0.1, norm_type=2))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[8], gamma=0.1, by_epoch=True)
]
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        save_best='PICI',
        rule='greater',
        max_keep_ckpts=2))
