# FinePOSE, Human3.6M, 243 frames, CPN-detected 2D; action verb prompts.
# Recipe of the authors' code: AdamW lr 6e-5, weight decay 0.1, lr x0.993
# per epoch, 100 epochs, 4 sequences of 243 frames per batch (1024 frames),
# flip augmentation. Test: H=20 hypotheses, M=10 DDIM steps, flip test.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/finepose.py',
    '../_base_/datasets/h36m_lifting.py'
]

# 'action_text' feeds the prompts; JPMA reprojects with 'camera_param' and
# 'target_root'.
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'camera_param', 'target_root', 'action', 'action_text')
train_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]

train_cfg = dict(max_epochs=100, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=6e-5, weight_decay=0.1),
    clip_grad=None)
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.993, end=100, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=1))

train_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_train.npy',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_test.npy',
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# Every aggregation, labelled: J-Best / P-Best select with the ground truth
# (oracles), J-Agg (JPMA, the model's output) and P-Agg (mean) do not.
skip_list = [
    'S9_Greet', 'S9_SittingDown', 'S9_Wait_1', 'S9_Greeting', 'S9_Waiting_1'
]
val_evaluator = [
    dict(type='MultiHypothesisMPJPE', modes=('mpjpe', 'p-mpjpe'),
         skip_list=skip_list),
    dict(type='ActionMPJPE', mode='mpjpe', skip_list=skip_list),
    dict(type='ActionMPJPE', mode='p-mpjpe', skip_list=skip_list),
]
test_evaluator = val_evaluator
