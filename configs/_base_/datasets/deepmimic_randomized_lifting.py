# Domain-randomised lifting data on the DeepMimic motion capture: every draw
# films a training window with a new body (H36M proportions x random bone
# factors), camera (distance, height, pitch, roll, focal length, image size)
# and detector-like 2D (MediaPipe-style hip / shoulder / head landmarks,
# noise, jitter, outliers, occluded limbs), see
# mmlpose/datasets/virtual_capture.py. Nothing to convert first: the clips
# are read from pybullet's package data.
#   Validation / test: the held-out clips filmed once with the training
#   ranges (seed 0, 4 captures per window).
_base_ = ['./h36m_lifting.py']

num_frames = 27
dataset_type = 'RandomizedLiftingDataset'
# the base's pipelines, plus zero-filled spans in training: frames without a
# person are zero-filled at inference (lift_multi_person), so the lifter
# learns to bridge them
train_pipeline = [
    *_base_.train_pipeline[:-1],
    dict(type='MaskTimeWindows', min_len=2, max_len=8, prob=0.1),
    _base_.train_pipeline[-1]
]
val_pipeline = _base_.val_pipeline

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        clips='train',
        multiple_target=num_frames,
        multiple_target_step=9,
        fps=(24., 30., 40., 50.),
        randomization='train',
        repeat=4,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        clips='test',
        multiple_target=num_frames,
        multiple_target_step=9,
        fps=(30., ),
        randomization='train',
        seed=0,
        repeat=4,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='ActionMPJPE', mode='mpjpe'),
    dict(type='ActionMPJPE', mode='p-mpjpe'),
    dict(type='ActionMPJPE', mode='n-mpjpe', per_action=False),
]
test_evaluator = val_evaluator
