# Ablation (paper Tables 4/5): no prompts at all. Prompt mode 'none' removes
# FPP, FPC and PTS, leaving D3DP's network trained with FinePOSE's recipe.
_base_ = ['../finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

model = dict(head=dict(denoiser=dict(prompt_learner=dict(mode='none'))))
