# The tiny DeepMimic MixSTE lifter with this project's referrer: run from
# the repository root,
#   python demo/lifting_demo.py --config projects/position_referrer/configs/\
#       mixste-tiny_position-referrer_deepmimic.py \
#       --checkpoint checkpoints/mixste_tiny_deepmimic.pth \
#       --text "the person on the left"
_base_ = ['../../../configs/mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py']

custom_imports = dict(
    imports=['projects.position_referrer.position_referrer'],
    allow_failed_imports=False)

# read by mmlpose's LiftingInferencer (the ``referrer`` field of a config)
referrer = dict(type='PositionReferrer', threshold=0.75)
