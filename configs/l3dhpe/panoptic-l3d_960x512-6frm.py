# Panoptic-L3D (language-driven 3D human pose estimation), released layout
# (see mmlpose.datasets.PanopticL3DDataset):
#   data/Panoptic-L3D/sentences_{train,val,test}.json
#   data/Panoptic-L3D/storage_mask/<video>/00_CC/00_CC_FFFFFFFF.png
#   data/Panoptic-L3D/panoptic/<video>/hdImgs/00_CC/00_CC_FFFFFFFF.jpg
#   data/Panoptic-L3D/panoptic/<video>/hdPose3d_stage1_coco19/*.json
#   data/Panoptic-L3D/panoptic/<video>/calibration_<video>.json
# The paper's settings: one sample per (sentence, every 15th annotated frame),
# 6-frame windows over the central 90 % of the sentence's span, 1920x1080
# frames resized (aspect kept, padded) to 960x512 inputs, 240x128 heatmaps,
# at most 10 people. Method configs add the model, its data preprocessor
# (L3DDataPreprocessor) and the evaluator (L3DHPEMetric).
dataset_type = 'PanopticL3DDataset'
data_root = 'data/Panoptic-L3D/'
input_size = (960, 512)
heatmap_size = (240, 128)
window = 6
max_people = 10

train_pipeline = [
    dict(type='LoadL3DFrames', window=True),
    dict(type='LoadReferMask'),
    dict(type='ResizeL3D', input_size=input_size),
    dict(
        type='GenerateVoxelPoseTargets',
        heatmap_size=heatmap_size,
        sigma=2,
        max_people=max_people),
    dict(type='PackL3DInputs'),
]
val_pipeline = train_pipeline
test_pipeline = val_pipeline

_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    window=window,
    window_ratio=0.9,
    frame_step=15,
    min_mask_pixels=2500,
    max_people=max_people)

train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        **_dataset, ann_file='sentences_train.json', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        **_dataset,
        ann_file='sentences_val.json',
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        **_dataset,
        ann_file='sentences_test.json',
        test_mode=True,
        pipeline=test_pipeline))
