# Ablation (paper Table 5): a manual prompt only, the sentence
# "A person is {verb}." through CLIP, no learnable context vectors.
_base_ = ['../finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

model = dict(
    head=dict(
        denoiser=dict(
            prompt_learner=dict(
                mode='manual', manual_template='A person is {verb}.'))))
