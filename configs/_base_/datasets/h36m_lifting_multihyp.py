# Human3.6M, CPN-detected 2D, for multi-hypothesis (diffusion) lifters: every
# aggregation is reported, labelled. J-Best / P-Best select with the ground
# truth (oracles); J-Agg (JPMA, the model's keypoints) and P-Agg (mean) do
# not. ActionMPJPE scores the J-Agg output per action.
_base_ = ['./h36m_lifting.py']

train_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_train.npy'))
val_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_test.npy'))
test_dataloader = val_dataloader

val_evaluator = [
    dict(
        type='MultiHypothesisMPJPE',
        modes=('mpjpe', 'p-mpjpe'),
        skip_list=_base_.skip_list),
    dict(type='ActionMPJPE', mode='mpjpe', skip_list=_base_.skip_list),
    dict(type='ActionMPJPE', mode='p-mpjpe', skip_list=_base_.skip_list),
]
test_evaluator = val_evaluator
