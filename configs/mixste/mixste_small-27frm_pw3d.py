# The default lifter (domain-randomised small MixSTE) evaluated on 3DPW's
# test split (the test-time adaptation paper's main benchmark), without and
# with adaptation:
#   python tools/test.py configs/mixste/mixste_small-27frm_pw3d.py \
#       checkpoints/mixste_small_deepmimic_dr.pth \
#       --cfg-options test_dataloader.dataset.data_root=data/pw3d/
#   python tools/tta.py configs/mixste/mixste_small-27frm_pw3d.py \
#       checkpoints/mixste_small_deepmimic_dr.pth test \
#       --cfg-options test_dataloader.dataset.data_root=data/pw3d/
# (the config has no tta_cfg: SemanticTTA's defaults, the paper's schedule)
# Training settings stay those of the DeepMimic config; the val/test data and
# metrics are those of configs/_base_/datasets/pw3d_lifting.py (restated:
# mmengine cannot merge two bases that both set test_dataloader).
_base_ = ['./mixste_small-27frm_1xb64-40e_deepmimic-dr.py']

pw3d_root = 'data/pw3d/'
custom_imports = dict(
    imports=['mmlpose.evaluation.metrics.joint_subset_mpjpe'],
    allow_failed_imports=False)
meta_keys = _base_.meta_keys + ('sequence', 'person_id', 'frame_ids')

val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PW3DDataset',
        data_root=pw3d_root,
        ann_file='sequenceFiles/test',
        multiple_target=_base_.num_frames,
        pipeline=[
            _base_.val_pipeline[0],
            dict(type='PackPoseInputs', meta_keys=meta_keys)
        ],
        test_mode=True))
test_dataloader = val_dataloader

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
