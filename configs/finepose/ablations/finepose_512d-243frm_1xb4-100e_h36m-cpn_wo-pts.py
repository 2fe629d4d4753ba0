# Ablation (paper Table 4): without prompt-driven timestep stylisation (PTS).
# The prompt is not added to the timestep embedding and the FPC update is
# added to the pose features without stylisation.
_base_ = ['../finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

model = dict(head=dict(denoiser=dict(use_pts=False)))
