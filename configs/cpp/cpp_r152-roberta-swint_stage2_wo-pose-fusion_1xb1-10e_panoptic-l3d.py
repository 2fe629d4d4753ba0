# Ablation of the paper's Table 5: CPP without the body fusion block's pose
# features (the video levels are fused with the text only); the queries
# still start from the pose branch's peaks.
_base_ = ['./cpp_r152-roberta-swint_stage2_1xb1-10e_panoptic-l3d.py']

model = dict(body_fusion=dict(use_pose=False))
