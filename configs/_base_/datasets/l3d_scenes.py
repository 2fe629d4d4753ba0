# Generated Panoptic-L3D-style scenes (tools/dataset_converters/
# generate_l3d_scenes.py), same layout and settings as panoptic_l3d.py, only
# another data root.
_base_ = ['./panoptic_l3d.py']

data_root = 'data/l3d_scenes/Panoptic-L3D/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
