# 3DPW, read from the release's sequence files (see docs/datasets.md, 3DPW):
#   data/pw3d/sequenceFiles/{train,validation,test}/<sequence>.pkl
#   data/pw3d/imageFiles/<sequence>/image_XXXXX.jpg   (optional: image size)
# One track per (sequence, person); SMPL-24 joints -> H36M-17 in the camera
# frame; 2D = the release's OpenPose COCO-18 -> H36M-17 with confidences.
# Frames with campose_valid False stay in the windows as input and are left
# out of the metrics. The papers' benchmark is the test split, 14 joints.
_base_ = ['./h36m_lifting.py']

num_frames = 27
dataset_type = 'PW3DDataset'
data_root = 'data/pw3d/'
# JointSubsetMPJPE (the 14-joint protocol) is in its own module
custom_imports = dict(
    imports=['mmlpose.evaluation.metrics.joint_subset_mpjpe'],
    allow_failed_imports=False)
meta_keys = _base_.meta_keys + ('sequence', 'person_id', 'frame_ids')

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='sequenceFiles/train',
        multiple_target=num_frames,
        multiple_target_step=9,
        pipeline=[
            *_base_.train_pipeline[:-1],
            dict(type='PackPoseInputs', meta_keys=meta_keys)
        ]))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='sequenceFiles/test',
        multiple_target=num_frames,
        pipeline=[
            _base_.val_pipeline[0],
            dict(type='PackPoseInputs', meta_keys=meta_keys)
        ],
        test_mode=True))
test_dataloader = val_dataloader

# H36M-17 root-relative errors, then the papers' 14-joint protocol (all but
# root, spine and neck_base; re-rooted at mid-hips; Procrustes on the 14).
val_evaluator = [
    dict(type='ActionMPJPE', mode='mpjpe', per_action=False),
    dict(type='ActionMPJPE', mode='p-mpjpe', per_action=False),
    dict(type='JointSubsetMPJPE', mode='mpjpe', prefix='14j'),
    dict(
        type='JointSubsetMPJPE',
        mode='p-mpjpe',
        per_action=False,
        prefix='14j'),
]
test_evaluator = val_evaluator
