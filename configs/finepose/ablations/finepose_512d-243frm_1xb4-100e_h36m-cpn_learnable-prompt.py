# Ablation (paper Table 5): learnable context vectors only (7 prompts of
# 7, 12, 10, 10, 10, 14, 14 vectors), no word tokens, so no action text.
_base_ = ['../finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

model = dict(
    head=dict(denoiser=dict(prompt_learner=dict(mode='learnable'))))
