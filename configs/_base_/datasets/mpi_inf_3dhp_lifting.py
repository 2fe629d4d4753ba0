# MPI-INF-3DHP sequence lifting (mmpose npz layout, see docs/datasets.md):
# the Human3.6M data config with its own files, codec root and metrics.
# Root = pelvis, joint 14 of mmpose's mpi_inf_3dhp metainfo. No action text
# (samples carry action_text='a person').
_base_ = ['./h36m_lifting.py']

num_frames = 27
root_index = 14
dataset_type = 'MPIINF3DHPDataset'
data_root = 'data/mpi_inf_3dhp/'
skip_list = []  # the H36M base's damaged sequences do not apply here

codec = dict(_base_.codec, root_index=root_index)
# the Human3.6M pipelines with this codec
train_pipeline = [
    dict(type='GenerateTarget', encoder=codec), *_base_.train_pipeline[1:]
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec), *_base_.val_pipeline[1:]
]

train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/mpi_inf_3dhp_train.npz',
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras_train.pkl',
        data_root=data_root,
        data_prefix=dict(img=''),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/mpi_inf_3dhp_test.npz',
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras_test.pkl',
        data_root=data_root,
        data_prefix=dict(img=''),
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# poses are root-relative at the codec's root (joint 14)
val_evaluator = [
    dict(type='PCK3D'),
    dict(type='ActionMPJPE', mode='p-mpjpe', per_action=False),
]
test_evaluator = val_evaluator
