# Generated Panoptic-L3D-style scenes, same layout and settings as
# panoptic-l3d_960x512-6frm.py, only another data root:
#   python tools/dataset_converters/generate_l3d_scenes.py \
#       --out-dir data/l3d_scenes --num-clips 300 --seed 0
_base_ = ['./panoptic-l3d_960x512-6frm.py']

data_root = 'data/l3d_scenes/Panoptic-L3D/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
