# FinePOSE on EgoHumans (multi-human; paper: 34.3 mm average MPJPE).
# Multi-human protocol of the paper: every person is lifted on their own;
# frames where a person is out of view are zero-filled (2D and 3D) and
# masked out of the loss and the metrics; the per-person predictions are
# then stacked along a person axis, (P, T, K, 3) per sequence and camera.
#
# Data layout this config expects (the loader 'EgoHumansLiftingDataset' is
# NOT implemented yet, see README.md). The mmpose npz layout of
# h36m_lifting.py, one track per (sequence, camera, person):
#   data/egohumans/annotation_body3d/egohumans_{train,test}.npz
#     imgname  'S{seq}_{activity}.{camera}_p{person}_{frame:06d}.jpg'
#     S        (N, 17, 4) camera-frame 3D joints (metres, H36M order)
#              + visibility; all zeros where the person is absent
#     part     (N, 17, 3) 2D joints (pixels) + visibility; zero-filled alike
#     center, scale (N, 2), (N, )
#   data/egohumans/annotation_body3d/cameras.pkl  (sequence, camera) -> f, c
# action_text = the sequence's activity (tagging, lego, fencing, ...).
_base_ = ['./finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

dataset_type = 'EgoHumansLiftingDataset'
data_root = 'data/egohumans/'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation_body3d/egohumans_train.npz',
        camera_param_file='annotation_body3d/cameras.pkl',
        keypoint_2d_src='gt',
        keypoint_2d_det_file=None,
        data_prefix=dict(img='')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation_body3d/egohumans_test.npz',
        camera_param_file='annotation_body3d/cameras.pkl',
        keypoint_2d_src='gt',
        keypoint_2d_det_file=None,
        data_prefix=dict(img='')))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='MultiHypothesisMPJPE', modes=('mpjpe', 'p-mpjpe')),
    dict(type='ActionMPJPE', mode='mpjpe'),
]
test_evaluator = val_evaluator
