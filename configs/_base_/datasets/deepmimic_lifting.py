# DeepMimic mini data set (real motion capture from pybullet, 17 H36M joints,
# 8 virtual cameras; split by clip). Make it with:
#   python tools/dataset_converters/deepmimic_to_h36m.py --out-dir data/deepmimic
_base_ = ['./h36m_lifting.py']

num_frames = 27
data_root = 'data/deepmimic/'

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        ann_file='annotation_body3d/deepmimic_train.npz',
        multiple_target=num_frames,
        multiple_target_step=9,
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        data_prefix=dict(img='')))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        ann_file='annotation_body3d/deepmimic_test.npz',
        multiple_target=num_frames,
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        data_prefix=dict(img='')))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='ActionMPJPE', mode='mpjpe'),
    dict(type='ActionMPJPE', mode='p-mpjpe'),
    dict(type='ActionMPJPE', mode='n-mpjpe', per_action=False),
]
test_evaluator = val_evaluator
