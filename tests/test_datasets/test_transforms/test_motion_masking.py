# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from mmlpose.datasets.transforms import (H36M_BODY_PARTS, Add2DNoise,
                                         MaskBodyParts, MaskTimeWindows,
                                         RandomJointFrameMask)
from mmlpose.registry import TRANSFORMS
from mmlpose.structures.keypoint_mapping import H36M_JOINT_NAMES

T, K = 30, 17


def window(num_frames: int = T,
           num_joints: int = K,
           channels: int = 2,
           seed: int = 0,
           batch: bool = False) -> dict:
    """Results with a random nonzero ``keypoint_labels`` window."""
    rng = np.random.default_rng(seed)
    labels = rng.uniform(0.1, 1.0, (num_frames, num_joints, channels))
    labels *= rng.choice([-1, 1], labels.shape)
    labels = labels.astype(np.float32)
    return dict(keypoint_labels=labels[None] if batch else labels)


def run(transform, results: dict):
    """Apply; return (results, the input before, the output (T, K, C))."""
    before = np.array(results['keypoint_labels'], copy=True)
    out = transform(results)
    return out, before, np.asarray(out['keypoint_labels'])


def assert_zero_filled(before, after, mask):
    """Zero exactly where masked, unchanged elsewhere."""
    before = before.reshape(after.shape)
    assert mask.dtype == bool and mask.shape == after.shape[-3:-1]
    assert (after[..., mask, :] == 0).all()
    np.testing.assert_array_equal(after[..., ~mask, :], before[..., ~mask, :])
    # the random inputs are nonzero, so the zeros are exactly the mask
    np.testing.assert_array_equal((after == 0).any(-1).reshape(mask.shape),
                                  mask)


def assert_one_span(frames: np.ndarray, length: int, num_frames: int = T):
    """``frames`` (T,) bool is exactly one run of ``length`` frames."""
    idx = np.flatnonzero(frames)
    assert idx.size == length
    np.testing.assert_array_equal(idx, np.arange(idx[0], idx[0] + length))
    assert 0 <= idx[0] and idx[-1] < num_frames


def test_body_part_groups():
    joints = sorted(j for group in H36M_BODY_PARTS.values() for j in group)
    assert joints == list(range(17))  # every joint in exactly one part
    assert H36M_BODY_PARTS['left_arm'] == (11, 12, 13)
    assert H36M_BODY_PARTS['right_arm'] == (14, 15, 16)
    assert H36M_BODY_PARTS['left_leg'] == (4, 5, 6)
    assert H36M_BODY_PARTS['right_leg'] == (1, 2, 3)
    assert H36M_BODY_PARTS['torso'] == (0, 7, 8)
    assert H36M_BODY_PARTS['head'] == (9, 10)
    for part in ('left_arm', 'right_arm', 'left_leg', 'right_leg'):
        side = part.split('_')[0]
        assert all(H36M_JOINT_NAMES[j].startswith(side)
                   for j in H36M_BODY_PARTS[part])


@pytest.mark.parametrize('part', sorted(H36M_BODY_PARTS))
def test_mask_one_part_whole_window(part):
    results, before, after = run(
        MaskBodyParts(parts=(part, ), prob=1.0, seed=3), window())
    mask = results['motion_mask']
    expected = np.zeros((T, K), bool)
    expected[:, list(H36M_BODY_PARTS[part])] = True
    np.testing.assert_array_equal(mask, expected)
    assert_zero_filled(before, after, mask)


def test_left_arm_exact_and_input_not_mutated():
    results = window()
    original = results['keypoint_labels']
    kept = original.copy()
    results = MaskBodyParts(parts='left_arm', prob=1.0, seed=0)(results)
    np.testing.assert_array_equal(
        np.flatnonzero(results['motion_mask'].any(0)), [11, 12, 13])
    assert results['motion_mask'].all(1).sum() == 0
    assert results['motion_mask'].sum() == 3 * T
    np.testing.assert_array_equal(original, kept)  # a copy was written


def test_mask_part_over_time_span():
    for seed in range(20):
        results, before, after = run(
            MaskBodyParts(
                parts=('right_leg', ), prob=1.0, time_span=(6, 6), seed=seed),
            window())
        mask = results['motion_mask']
        np.testing.assert_array_equal(np.flatnonzero(mask.any(0)), [1, 2, 3])
        assert_one_span(mask[:, 1], 6)
        # the same frames for every joint of the part
        assert (mask[:, [1, 2, 3]] == mask[:, [1]]).all()
        assert_zero_filled(before, after, mask)
    # variable length within the bounds
    lengths = set()
    for seed in range(40):
        mask = MaskBodyParts(
            parts=('head', ), prob=1.0, time_span=(3, 8),
            seed=seed)(window())['motion_mask']
        lengths.add(int(mask[:, 9].sum()))
        assert_one_span(mask[:, 9], int(mask[:, 9].sum()))
    assert lengths <= set(range(3, 9)) and len(lengths) > 3


def test_mask_several_parts():
    counts = set()
    for seed in range(40):
        transform = MaskBodyParts(prob=1.0, max_parts=2, seed=seed)
        results, before, after = run(transform, window())
        mask = results['motion_mask']
        joints = set(np.flatnonzero(mask.any(0)).tolist())
        parts = [p for p, g in H36M_BODY_PARTS.items() if set(g) <= joints]
        # the masked joints are exactly a union of 1 or 2 whole parts
        assert joints == {j for p in parts for j in H36M_BODY_PARTS[p]}
        assert mask[:, sorted(joints)].all()
        counts.add(len(parts))
        assert_zero_filled(before, after, mask)
    assert counts == {1, 2}


def test_prob():
    results, before, after = run(MaskBodyParts(prob=0.0, seed=0), window())
    assert not results['motion_mask'].any()
    np.testing.assert_array_equal(after, before)
    transform = MaskTimeWindows(min_len=2, max_len=4, prob=0.5, seed=1)
    hits = sum(transform(window())['motion_mask'].any() for _ in range(400))
    assert 160 < hits < 240


def test_time_window_fixed_length():
    starts = set()
    for seed in range(60):
        results, before, after = run(
            MaskTimeWindows(
                num_windows=1, min_len=7, max_len=7, prob=1.0, seed=seed),
            window())
        mask = results['motion_mask']
        # whole frames: every joint or none
        assert (mask.all(1) == mask.any(1)).all()
        assert_one_span(mask[:, 0], 7)
        starts.add(int(np.flatnonzero(mask[:, 0])[0]))
        assert_zero_filled(before, after, mask)
    assert starts <= set(range(T - 7 + 1)) and len(starts) > 10
    # a span as long as the window masks all of it
    mask = MaskTimeWindows(
        min_len=T, max_len=T + 5, prob=1.0, seed=0)(window())['motion_mask']
    assert mask.all()


def test_time_windows_several():
    for seed in range(20):
        mask = MaskTimeWindows(
            num_windows=2, min_len=3, max_len=5, prob=1.0,
            seed=seed)(window())['motion_mask']
        frames = mask.any(1)
        assert (mask.all(1) == frames).all()
        assert 3 <= frames.sum() <= 10
        runs = np.flatnonzero(np.diff(np.r_[0, frames.astype(int), 0]) == 1)
        assert 1 <= runs.size <= 2


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_random_joint_frame_mask_counts(seed):
    num_frames = 243
    transform = RandomJointFrameMask(seed=seed)
    results, before, after = run(transform, window(num_frames))
    mask = results['motion_mask']
    whole = mask.all(1)
    assert whole.sum() == round(0.1 * num_frames) == 24
    # entries outside the whole frames
    assert mask[~whole].sum() == round(0.05 * num_frames * K) == 207
    assert mask.sum() == 24 * K + 207
    assert_zero_filled(before, after, mask)


def test_random_joint_frame_mask_ratios():
    mask = RandomJointFrameMask(
        joint_ratio=0., frame_ratio=0., seed=0)(window())['motion_mask']
    assert not mask.any()
    mask = RandomJointFrameMask(
        joint_ratio=0., frame_ratio=1., seed=0)(window())['motion_mask']
    assert mask.all()
    mask = RandomJointFrameMask(
        joint_ratio=0.5, frame_ratio=0., seed=0)(window())['motion_mask']
    assert mask.sum() == round(0.5 * T * K) and not mask.all(1).any()
    # more entries asked than left: capped at what is left
    mask = RandomJointFrameMask(
        joint_ratio=1., frame_ratio=0.5, seed=0)(window())['motion_mask']
    assert mask.all()
    # Bernoulli form (MotionBERT's): ratios in expectation
    transform = RandomJointFrameMask(exact=False, seed=0)
    masks = np.stack(
        [transform(window(100))['motion_mask'] for _ in range(50)])
    whole = masks.all(-1)
    assert abs(whole.mean() - 0.1) < 0.02
    partial = masks[~whole]
    assert abs(partial.mean() - 0.05) < 0.01


def test_batched_input_shape_kept():
    results = window(batch=True)
    before = results['keypoint_labels'].copy()
    results = MaskBodyParts(parts=('torso', ), prob=1.0, seed=0)(results)
    assert results['keypoint_labels'].shape == (1, T, K, 2)
    assert results['motion_mask'].shape == (T, K)
    assert_zero_filled(before[0], results['keypoint_labels'][0],
                       results['motion_mask'])
    results = Add2DNoise(std=0.1, seed=0)(results)
    assert results['keypoint_labels'].shape == (1, T, K, 2)


def test_other_key_and_channels():
    data = window(channels=3)['keypoint_labels']
    results = dict(keypoints=data.copy()[None])
    results = MaskBodyParts(
        parts=('head', ), prob=1.0, key='keypoints', seed=0)(
            results)
    assert (results['keypoints'][0][:, [9, 10]] == 0).all()
    np.testing.assert_array_equal(results['keypoints'][0][:, :9], data[:, :9])


def test_noise_statistics_and_masked_entries_kept():
    num_frames, std = 4000, 0.05
    results = window(num_frames, channels=3)
    results = RandomJointFrameMask(
        joint_ratio=0.2, frame_ratio=0.1, seed=0)(
            results)
    mask = results['motion_mask'].copy()
    results, before, after = run(Add2DNoise(std=std, seed=1), results)
    np.testing.assert_array_equal(results['motion_mask'], mask)
    # masked entries stay exactly zero, the third channel is untouched
    assert (after[mask] == 0).all()
    np.testing.assert_array_equal(after[..., 2], before[..., 2])
    delta = (after - before)[~mask][:, :2]
    assert (delta != 0).all()
    assert abs(delta.mean()) < 3 * std / np.sqrt(delta.size)
    assert abs(delta.std() / std - 1) < 0.01
    # noise then masking gives the same zeros
    results = Add2DNoise(std=std, seed=1)(window())
    results = MaskBodyParts(parts=('head', ), prob=1.0, seed=0)(results)
    assert (results['keypoint_labels'][:, [9, 10]] == 0).all()


def test_noise_per_joint_absent_frames_and_prob():
    num_frames = 3000
    std = np.linspace(0.01, 0.17, K)
    results = window(num_frames)
    results['absent_frames'] = np.zeros(num_frames, bool)
    results['absent_frames'][:100] = True
    results, before, after = run(Add2DNoise(std=std, seed=0), results)
    np.testing.assert_array_equal(after[:100], before[:100])
    measured = (after - before)[100:].std(axis=(0, 2))
    np.testing.assert_allclose(measured / std, 1, atol=0.04)
    assert 'motion_mask' not in results
    results, before, after = run(Add2DNoise(std=1., prob=0., seed=0), window())
    np.testing.assert_array_equal(after, before)


def test_seeding():

    def masks(transform, n=5):
        return [transform(window())['motion_mask'] for _ in range(n)]

    first = masks(RandomJointFrameMask(seed=7))
    second = masks(RandomJointFrameMask(seed=7))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not all((a == first[0]).all() for a in first[1:])
    other = masks(RandomJointFrameMask(seed=8))
    assert not all((a == b).all() for a, b in zip(first, other))
    # seed=None follows numpy's global RNG, which mmengine seeds
    np.random.seed(123)
    first = masks(MaskTimeWindows(min_len=2, max_len=9, prob=1.))
    np.random.seed(123)
    second = masks(MaskTimeWindows(min_len=2, max_len=9, prob=1.))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def single(cfg: dict) -> np.ndarray:
    """The mask one transform config makes alone on a fresh window."""
    return TRANSFORMS.build(cfg)(window())['motion_mask']


def test_compose_ors_masks_and_packs():
    cfgs = [
        dict(type='MaskBodyParts', parts=('left_arm', ), prob=1., seed=0),
        dict(type='MaskTimeWindows', min_len=5, max_len=5, prob=1., seed=1),
        dict(type='RandomJointFrameMask', seed=2),
        dict(type='Add2DNoise', std=0.01, seed=3),
    ]
    with DefaultScope.overwrite_default_scope('mmlpose'):
        expected = single(cfgs[0]) | single(cfgs[1]) | single(cfgs[2])
        pipeline = Compose(cfgs)
        results, before, after = run(pipeline, window())
    mask = results['motion_mask']
    np.testing.assert_array_equal(mask, expected)
    assert mask[:, [11, 12, 13]].all()
    assert (after[mask] == 0).all()
    assert (after[~mask] != before[~mask]).all()  # noised
    assert mask.sum() > 3 * T + 5 * (K - 3)


def test_lifting_pipeline_packs_motion_mask():
    num_frames = 27
    rng = np.random.default_rng(0)
    results = dict(
        keypoints=rng.uniform(100, 900, (num_frames, K, 2)),
        keypoints_visible=np.ones((num_frames, K), np.float32),
        lifting_target=rng.normal(size=(num_frames, K, 3)),
        lifting_target_visible=np.ones((num_frames, K), np.float32),
        camera_param=dict(
            w=1000, h=1000, f=np.ones((2, 1)) * 1000, c=np.ones((2, 1)) * 500))
    cfgs = [
        dict(
            type='GenerateTarget',
            encoder=dict(
                type='VideoPoseLifting',
                num_keypoints=K,
                zero_center=True,
                root_index=0,
                reshape_keypoints=False,
                normalize_camera=True)),
        dict(type='MaskBodyParts', parts=('right_arm', ), prob=1., seed=0),
        dict(type='MaskTimeWindows', min_len=4, max_len=4, prob=1., seed=0),
        dict(type='PackPoseInputs', meta_keys=('motion_mask', )),
    ]
    with DefaultScope.overwrite_default_scope('mmlpose'):
        packed = Compose(cfgs)(results)
    mask = packed['data_samples'].metainfo['motion_mask']
    assert mask.shape == (num_frames, K)
    assert mask[:, [14, 15, 16]].all() and mask.all(1).sum() == 4
    inputs = packed['inputs'].numpy().reshape(num_frames, K, 2)
    assert (inputs[mask] == 0).all() and (inputs[~mask] != 0).all()


@pytest.mark.parametrize('make, match', [
    (lambda: MaskBodyParts(parts=('left_wing', )), 'unknown body part'),
    (lambda: MaskBodyParts(parts=()), 'parts is empty'),
    (lambda: MaskBodyParts(max_parts=0), 'max_parts'),
    (lambda: MaskBodyParts(prob=1.5), 'prob must be in'),
    (lambda: MaskBodyParts(time_span=(5, 2)), 'min_len <= max_len'),
    (lambda: MaskTimeWindows(min_len=0), 'min_len <= max_len'),
    (lambda: MaskTimeWindows(num_windows=0), 'num_windows'),
    (lambda: RandomJointFrameMask(joint_ratio=1.2), 'joint_ratio'),
    (lambda: RandomJointFrameMask(frame_ratio=-0.1), 'frame_ratio'),
    (lambda: Add2DNoise(std=-1.), 'std must be'),
    (lambda: Add2DNoise(std=float('nan')), 'std must be'),
    (lambda: Add2DNoise(num_dims=0), 'num_dims'),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('shape', [(T, K), (2, T, K, 2), (K * 2, T), (T, K, 1),
                                   (0, K, 2), (T, 0, 2)])
@pytest.mark.parametrize('transform', [
    MaskBodyParts(prob=1.),
    MaskTimeWindows(min_len=1, max_len=2, prob=1.),
    RandomJointFrameMask(),
    Add2DNoise()
])
def test_bad_shapes(shape, transform):
    with pytest.raises(ValueError) as info:
        transform(dict(keypoint_labels=np.ones(shape, np.float32)))
    assert '\n' not in str(info.value)


def test_bad_inputs():
    results = window()
    results['keypoint_labels'][3, 4, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        RandomJointFrameMask()(results)
    with pytest.raises(KeyError, match='after GenerateTarget'):
        MaskBodyParts()(dict(keypoints=np.ones((1, T, K, 2))))
    with pytest.raises(ValueError, match='exceeds the window'):
        MaskTimeWindows(min_len=T + 1, max_len=T + 2, prob=1.)(window())
    with pytest.raises(ValueError, match='exceeds the window'):
        MaskBodyParts(prob=1., time_span=(T + 1, T + 1))(window())
    for prob in (0., 1.):  # checked even when the sample is not masked
        with pytest.raises(ValueError, match='joints go up to 16'):
            MaskBodyParts(prob=prob)(window(num_joints=15))
        with pytest.raises(ValueError, match='exceeds the window'):
            MaskTimeWindows(min_len=T + 1, max_len=T + 1, prob=prob)(window())
    results = window()
    results['motion_mask'] = np.zeros((T, K - 1), bool)
    with pytest.raises(ValueError, match='existing "motion_mask"'):
        MaskBodyParts(prob=1.)(results)
    with pytest.raises(ValueError, match='per-joint std'):
        Add2DNoise(std=[0.1, 0.2])(window())
    with pytest.raises(ValueError, match='num_dims 3 exceeds'):
        Add2DNoise(num_dims=3)(window())


def test_custom_groups_and_repr():
    transform = MaskBodyParts(
        parts=('a', ), groups=dict(a=(0, 2)), prob=1., seed=0)
    mask = transform(window(num_joints=3))['motion_mask']
    np.testing.assert_array_equal(np.flatnonzero(mask.any(0)), [0, 2])
    assert mask[:, [0, 2]].all()
    assert 'MaskBodyParts' in repr(transform)
    for name in ('MaskBodyParts', 'MaskTimeWindows', 'RandomJointFrameMask',
                 'Add2DNoise'):
        assert TRANSFORMS.get(name) is not None
