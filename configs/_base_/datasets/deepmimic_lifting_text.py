# DeepMimic mini set with per-window fine-grained texts and action labels
# (LangPose stage 1): the DeepMimic lifting data with DeepMimicTextDataset,
# which reads the converter's annotation_body3d/deepmimic_{split}_texts.json.
# Samples carry `motion_text` (the sentence of the window's centre frame) and
# `action_label` (int, index into the sorted action classes of train+test).
#   python tools/dataset_converters/deepmimic_to_h36m.py --out-dir data/deepmimic
# Training sees masked, noisy 2D (masked motion modelling); no flip, since
# the sentences name left and right limbs and turns.
_base_ = ['./deepmimic_lifting.py']

dataset_type = 'DeepMimicTextDataset'
num_action_classes = 18  # sorted action texts of the 20 DeepMimic clips
text_meta_keys = ('motion_text', 'action_label')
lifting_meta_keys = _base_.meta_keys  # without the texts (stage 2)
meta_keys = lifting_meta_keys + text_meta_keys

# Masked motion modelling on the codec's normalised 2D (keypoint_labels):
# one whole body part on 30 % of the windows, one time span of 3-9 frames on
# 30 %, MotionBERT's 5 % joints + 10 % frames on all, 2D noise of std 0.01
# (5 px on the 1000 px images) on all.
masking = [
    dict(type='MaskBodyParts', prob=0.3, max_parts=1),
    dict(type='MaskTimeWindows', num_windows=1, min_len=3, max_len=9,
         prob=0.3),
    dict(type='RandomJointFrameMask', joint_ratio=0.05, frame_ratio=0.1),
    dict(type='Add2DNoise', std=0.01),
]
train_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    *masking,
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=val_pipeline))
test_dataloader = val_dataloader

# MPJPE family and text-motion retrieval (TMR protocol) on held-out clips
val_evaluator = [
    *_base_.val_evaluator,
    dict(type='MotionTextRetrieval', text_field='motion_text'),
]
test_evaluator = val_evaluator
