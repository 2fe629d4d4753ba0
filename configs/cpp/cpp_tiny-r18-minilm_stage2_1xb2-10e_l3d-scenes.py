# CPP tiny CPU variant, STAGE 2: the whole model (see the stage-1 config),
# loading stage 1's pose branch through load_from:
#   python tools/train.py configs/cpp/cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py \
#       --cfg-options load_from=work_dirs/cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes/epoch_10.pth
# Losses: class focal 2, box L1 2, GIoU 2, mask focal 2, dice 5, 3D 1 (the
# paper's), + the stage-1 pose losses and the text-pixel auxiliary.
_base_ = ['./cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes.py']

model = dict(train_stage=2)

load_from = 'work_dirs/cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes/epoch_10.pth'  # noqa: E501
# the parts built only in stage 2 (CPP.STAGE2_KEYS): new when loading stage 1
load_from_new_keys = [
    'text_proj.', 'video_encoder.', 'body_fusion.', 'level_embed', 'encoder.',
    'decoder.', 'query_content.', 'query_rank.', 'query_pos_head.',
    'cls_branches.', 'reg_branches.', 'mask_branch.', 'controller.',
    'mask_fusion.', 'skeleton_head.', 'pixel_proj.', 'sentence_proj.',
    'text_score_scale'
]

train_cfg = dict(by_epoch=True, max_epochs=10, val_begin=1, val_interval=1)
# lr 4e-4 (CPU recipe), pose backbone x0.5; the frozen text encoder gets no
# gradient; clip 1.0 (the paper config: 1e-4 / 5e-5 / clip 0.1)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={
        'pose_backbone': dict(lr_mult=0.5),
        'text_encoder': dict(lr_mult=0.5)
    }),
    clip_grad=dict(max_norm=1.0, norm_type=2))
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        save_best='PICI',
        rule='greater',
        max_keep_ckpts=2))
