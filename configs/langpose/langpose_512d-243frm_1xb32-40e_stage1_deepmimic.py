# LangPose stage 1 at the paper-recipe size (MixSTE 512 channels, 8 block
# pairs) on the DeepMimic mini set: the tiny stage 1 with the full model,
# the start of the 243-frame stage-2 configs. DeepMimic's clips are 24-133
# frames long, so there are no 243-frame windows: it trains and tests on
# 27-frame windows (temporal positions for 27 frames). Loading it into a
# 243-frame stage-2 model loads every weight but the temporal position
# embedding (mmengine reports its size mismatch and keeps the stage-2
# initialisation), which stage 2 learns. The paper's stage-1 data (synthetic
# fine-grained action-labelled motion) is not public.
#   python tools/train.py \
#       configs/langpose/langpose_512d-243frm_1xb32-40e_stage1_deepmimic.py
_base_ = ['./langpose_tiny-27frm_1xb32-40e_stage1_deepmimic.py']

channels = 512
model = dict(
    backbone=dict(
        embed_dim=channels, depth=8, num_heads=8, drop_path_rate=0.1),
    head=dict(in_channels=channels),
    motion_head=dict(in_channels=channels))
