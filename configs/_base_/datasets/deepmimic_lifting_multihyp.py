# DeepMimic mini set for multi-hypothesis (diffusion) lifters: J-Best / P-Best
# (oracles), J-Agg and P-Agg, plus ActionMPJPE on the J-Agg output.
_base_ = ['./deepmimic_lifting.py']

val_evaluator = [
    dict(type='MultiHypothesisMPJPE', modes=('mpjpe', 'p-mpjpe')),
    dict(type='ActionMPJPE', mode='mpjpe'),
    dict(type='ActionMPJPE', mode='p-mpjpe'),
]
test_evaluator = val_evaluator
