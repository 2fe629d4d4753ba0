# MPI-INF-3DHP sequence lifting (mmpose npz layout, see docs/datasets.md).
# Root = pelvis, joint 14 of mmpose's mpi_inf_3dhp metainfo. No action text
# (samples carry action_text='a person').
num_frames = 27
root_index = 14
dataset_type = 'MPIINF3DHPDataset'
data_root = 'data/mpi_inf_3dhp/'

codec = dict(
    type='VideoPoseLifting',
    num_keypoints=17,
    zero_center=True,
    root_index=root_index,
    reshape_keypoints=False)

# camera_param and target_root (the codec's root position) let
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
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/mpi_inf_3dhp_train.npz',
        seq_len=1,
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras_train.pkl',
        data_root=data_root,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/mpi_inf_3dhp_test.npz',
        seq_len=1,
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras_test.pkl',
        data_root=data_root,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='PCK3D', root_index=root_index),
    dict(type='ActionMPJPE', mode='p-mpjpe', root_index=root_index,
         per_action=False),
]
test_evaluator = val_evaluator
