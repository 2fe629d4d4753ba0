# MixSTE, Human3.6M, 243 frames, ground-truth 2D (paper: 21.6 mm MPJPE).
_base_ = ['./mixste_512d-243frm_1xb4-160e_h36m-cpn.py']

train_dataloader = dict(dataset=dict(keypoint_2d_src='gt'))
val_dataloader = dict(dataset=dict(keypoint_2d_src='gt'))
test_dataloader = val_dataloader
