# EgoHumans multi-human lifting data, FinePOSE's protocol: every person is
# lifted on their own (one track per sequence, exo camera and person), frames
# where the person is out of view are zero-filled (2D and 3D) and left out of
# the loss and the metrics (ZeroFillAbsentFrames), and
# mmlpose.apis.lift_multi_person stacks the per-person predictions along a
# person axis, (P, T, K, 3). Make the annotation files with
#   python tools/dataset_converters/egohumans_to_h36m.py \
#       --data-root <EgoHumans release> --out-dir data/egohumans
# (ground-truth 2D = the 3D projected into the undistorted exo images).
_base_ = ['./h36m_lifting.py']

dataset_type = 'EgoHumansLiftingDataset'
data_root = 'data/egohumans/'
# person_id, view, frame_ids and absent_frames regroup the windows into
# (P, T, K, 3) per view (mmlpose.evaluation.stack_person_predictions)
meta_keys = _base_.meta_keys + ('person_id', 'view', 'frame_ids',
                                'absent_frames')
# the Human3.6M pipelines with ZeroFillAbsentFrames after GenerateTarget
train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='ZeroFillAbsentFrames'),
    *_base_.train_pipeline[1:-1],
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(type='ZeroFillAbsentFrames'),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation_body3d/egohumans_train.npz',
        camera_param_file='annotation_body3d/cameras.pkl',
        keypoint_2d_src='gt',
        data_prefix=dict(img=''),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation_body3d/egohumans_test.npz',
        camera_param_file='annotation_body3d/cameras.pkl',
        keypoint_2d_src='gt',
        data_prefix=dict(img=''),
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# Root-relative MPJPE in mm over the frames where the person is in view; for
# multi-hypothesis lifters every aggregation, labelled (J-Best and P-Best are
# oracles). ActionMPJPE gives the error per activity on the J-Agg output.
val_evaluator = [
    dict(type='MultiHypothesisMPJPE', modes=('mpjpe', 'p-mpjpe')),
    dict(type='ActionMPJPE', mode='mpjpe'),
]
test_evaluator = val_evaluator
