# Ablation (paper Table 4): without prompt-pose communication (FPC). The
# prompt still enters through PTS (added to the timestep embedding).
_base_ = ['../finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

model = dict(head=dict(denoiser=dict(use_fpc=False)))
