# Table 5 ablation on the tiny CPU variant: CPP without the body fusion
# block's pose features (the video levels are fused with the text only; the
# queries still start from the stage-1 peaks). Same stage-1 checkpoint.
_base_ = ['./cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py']

model = dict(body_fusion=dict(use_pose=False))
