# FinePOSE, Human3.6M, 243 frames, ground-truth 2D.
_base_ = ['./finepose_512d-243frm_1xb4-100e_h36m-cpn.py']

train_dataloader = dict(dataset=dict(keypoint_2d_src='gt'))
val_dataloader = dict(dataset=dict(keypoint_2d_src='gt'))
test_dataloader = val_dataloader
