# Copyright (c) mmlpose contributors. All rights reserved.
from mmengine.registry import DefaultScope

from mmlpose.registry import DATASETS, KEYPOINT_CODECS, METRICS, MODELS


def test_child_registries_of_mmpose():
    from mmpose.registry import MODELS as MMPOSE_MODELS
    assert MODELS.parent is MMPOSE_MODELS
    assert MODELS.scope == 'mmlpose'
    assert DATASETS.get('Human36mTextDataset') is not None
    assert METRICS.get('ActionMPJPE') is not None


def test_mmlpose_scope_builds_mmpose_and_own_modules():
    with DefaultScope.overwrite_default_scope('mmlpose'):
        tcn = MODELS.build(dict(type='TCN', in_channels=34))
        assert type(tcn).__module__.startswith('mmpose')
        mixste = MODELS.build(
            dict(type='MixSTE', seq_len=3, embed_dim=8, depth=1, num_heads=2))
        assert type(mixste).__module__.startswith('mmlpose')
        codec = KEYPOINT_CODECS.build(
            dict(type='VideoPoseLifting', num_keypoints=17))
        assert type(codec).__name__ == 'VideoPoseLifting'
        # an mmpose estimator building our backbone from inside mmpose code
        lifter = MODELS.build(
            dict(
                type='PoseLifter',
                backbone=dict(
                    type='MixSTE', seq_len=3, embed_dim=8, depth=1,
                    num_heads=2),
                head=dict(type='SeqRegressionHead', in_channels=8)))
        assert type(lifter.backbone).__name__ == 'MixSTE'
        assert METRICS.get('MPJPE') is not None  # mmpose's metric


def test_every_registry_location_is_an_existing_package():
    """``locations`` name only packages that exist (no placeholders)."""
    import importlib

    from mmengine.registry import Registry

    import mmlpose.registry as registry
    registries = [
        value for value in vars(registry).values()
        if isinstance(value, Registry) and value.scope == 'mmlpose'
    ]
    assert len(registries) >= 20
    for reg in registries:
        for location in reg._locations:
            importlib.import_module(location)  # raises if missing
    assert KEYPOINT_CODECS._locations == []  # codecs come from mmpose
