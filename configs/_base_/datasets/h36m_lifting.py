# Human3.6M sequence lifting data (mmpose npz layout, see docs/datasets.md).
# Each sample is a window of ``num_frames`` frames with its action text; the
# test dataset's ``multiple_target`` is also the window of
# mmlpose.apis.lift_sequence.
num_frames = 243
dataset_type = 'Human36mTextDataset'
data_root = 'data/h36m/'

# The one codec of every lifting config (the datasets/ configs derive theirs
# from it; models have no decoder): 2D pixels -> centred on the image and
# divided by half its width; 3D target -> root-relative (lifting_target_label,
# what the heads learn and the metrics compare with) plus its root
# (target_root); camera_param f / c -> the same normalised units as the 2D
# (normalize_camera), so multi-hypothesis heads reproject without converting.
# mmlpose.apis.lift_sequence normalises new inputs with it too.
codec = dict(
    type='VideoPoseLifting',
    num_keypoints=17,
    zero_center=True,
    root_index=0,
    reshape_keypoints=False,
    normalize_camera=True)

# camera_param (normalised by the codec) and target_root let
# multi-hypothesis heads reproject (JPMA); action_text feeds text-guided ones.
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'camera_param', 'target_root', 'action', 'action_text')
train_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/fps50/h36m_train.npz',
        seq_len=1,
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/fps50/h36m_test.npz',
        seq_len=1,
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        data_prefix=dict(img='images/'),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

# Protocol #1 (MPJPE) and #2 (P-MPJPE), root-relative, millimetres.
skip_list = [
    'S9_Greet', 'S9_SittingDown', 'S9_Wait_1', 'S9_Greeting', 'S9_Waiting_1'
]
val_evaluator = [
    dict(type='ActionMPJPE', mode='mpjpe', skip_list=skip_list),
    dict(type='ActionMPJPE', mode='p-mpjpe', skip_list=skip_list),
    dict(type='ActionMPJPE', mode='n-mpjpe', skip_list=skip_list,
         per_action=False),
]
test_evaluator = val_evaluator
