# Copyright (c) mmlpose contributors. All rights reserved.
"""Masked motion modelling: corrupt a 2D keypoint window for pretraining.

LangPose (stage 1, and optionally stage 2) and MotionBERT train a lifter to
recover 3D from masked, noisy 2D. The transforms here corrupt the lifter's
input in a data pipeline, each configured per stage:

- :class:`MaskBodyParts` hides whole limbs (:data:`H36M_BODY_PARTS`) over the
  window or over a time span;
- :class:`MaskTimeWindows` hides contiguous frame spans (all joints);
- :class:`RandomJointFrameMask` hides random (frame, joint) entries and
  random whole frames (MotionBERT: 5 % and 10 %);
- :class:`Add2DNoise` adds Gaussian noise to the 2D that is not masked.

Common behaviour:

- Input: ``results[key]`` (default ``'keypoint_labels'``, the
  ``VideoPoseLifting`` codec's normalised 2D, which ``PackPoseInputs`` packs
  as the model input) of shape (T, K, C) or (1, T, K, C), C >= 2 (the codec
  must run with ``reshape_keypoints=False``). The shape is kept.
- Masked entries are zero-filled (all C channels), as MotionBERT does. Put
  the maskers after ``GenerateTarget`` (zeros in pixels would become the
  image corner after normalisation) and after any flip
  (``RandomFlipAroundRoot`` swaps left and right joints of the 2D but not of
  the mask). ``keypoints_visible`` and the 3D targets are not changed: the
  3D of masked joints stays a reconstruction target.
- ``results['motion_mask']`` (T, K) bool, True = masked, is always written
  (all False when a transform was skipped by ``prob``), and OR-combined with
  a mask already there, so several maskers compose; every entry True in the
  combined mask is zero in ``results[key]``.
- ``motion_mask`` is not packed by ``PackPoseInputs`` by default: list
  ``'motion_mask'`` in ``PackPoseInputs(meta_keys=...)``; it then reaches
  the model as ``data_sample.metainfo['motion_mask']`` (numpy (T, K) bool),
  which a model or loss stacks over the batch to score the reconstruction
  on masked entries (or to give masked tokens a learned embedding).
- Randomness: a :class:`numpy.random.Generator` per transform. With
  ``seed=None`` it is drawn afresh on each call from numpy's global RNG, which
  mmengine seeds (``randomness=dict(seed=...)`` and its dataloader
  ``worker_init_fn``), so runs are reproducible and workers differ. With an
  integer ``seed`` the transform owns one generator (seeded by ``seed`` in
  the main process and by ``(seed, worker_id + 1)`` in a dataloader worker)
  whose draws follow from call to call: two transforms with the same seed
  produce the same sequence of masks.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmlpose.registry import TRANSFORMS

#: Human3.6M-17 joints of each body part (see
#: ``mmlpose.structures.keypoint_mapping.H36M_JOINT_NAMES``). Every joint
#: belongs to exactly one part.
H36M_BODY_PARTS: Dict[str, Tuple[int, ...]] = {
    'left_arm': (11, 12, 13),  # left shoulder, elbow, wrist
    'right_arm': (14, 15, 16),  # right shoulder, elbow, wrist
    'left_leg': (4, 5, 6),  # left hip, knee, foot
    'right_leg': (1, 2, 3),  # right hip, knee, foot
    'torso': (0, 7, 8),  # root (pelvis), spine, thorax
    'head': (9, 10),  # neck base, head
}

MOTION_MASK_KEY = 'motion_mask'


def _check_prob(name: str, value: float, what: str) -> float:
    value = float(value)
    if not 0. <= value <= 1.:
        raise ValueError(f'{name}: {what} must be in [0, 1], got {value}')
    return value


def _check_span(name: str, min_len: int, max_len: int) -> Tuple[int, int]:
    if int(min_len) != min_len or int(max_len) != max_len:
        raise ValueError(f'{name}: span lengths must be integers (frames), '
                         f'got {min_len}, {max_len}')
    if not 1 <= min_len <= max_len:
        raise ValueError(f'{name}: need 1 <= min_len <= max_len, got '
                         f'{min_len}, {max_len}')
    return int(min_len), int(max_len)


def _sample_span(name: str, num_frames: int, min_len: int, max_len: int,
                 rng: np.random.Generator) -> slice:
    """A contiguous span of length uniform in [min_len, min(max_len, T)] at
    a uniform start."""
    if min_len > num_frames:
        raise ValueError(f'{name}: min_len {min_len} exceeds the window of '
                         f'{num_frames} frames')
    length = int(rng.integers(min_len, min(max_len, num_frames) + 1))
    start = int(rng.integers(0, num_frames - length + 1))
    return slice(start, start + length)


def _worker_id() -> Optional[int]:
    from torch.utils.data import get_worker_info
    info = get_worker_info()
    return None if info is None else info.id


class _RandomMotionTransform(BaseTransform):
    """Shared key handling, validation and seeding (see the module doc)."""

    def __init__(self,
                 key: str = 'keypoint_labels',
                 prob: float = 1.0,
                 seed: Optional[int] = None):
        self.key = key
        self.prob = _check_prob(type(self).__name__, prob, 'prob')
        if seed is not None and int(seed) != seed:
            raise ValueError(f'{type(self).__name__}: seed must be an '
                             f'integer or None, got {seed!r}')
        self.seed = None if seed is None else int(seed)
        self._generator: Optional[np.random.Generator] = None
        self._generator_worker: Optional[int] = None

    def _rng(self) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(
                np.random.randint(0, 2**63 - 1, dtype=np.int64))
        worker = _worker_id()
        if self._generator is None or self._generator_worker != worker:
            entropy = self.seed if worker is None else [self.seed, worker + 1]
            self._generator = np.random.default_rng(entropy)
            self._generator_worker = worker
        return self._generator

    def _read(self, results: dict) -> np.ndarray:
        """``results[key]`` as a validated (T, K, C) array (not a copy)."""
        name = type(self).__name__
        if self.key not in results:
            raise KeyError(f'{name} needs "{self.key}" in the results: put '
                           'it after GenerateTarget')
        motion = np.asarray(results[self.key])
        if motion.ndim == 4 and motion.shape[0] == 1:
            motion = motion[0]
        if motion.ndim != 3 or motion.shape[-1] < 2:
            raise ValueError(f'{name}: "{self.key}" must be (T, K, C) or '
                             f'(1, T, K, C) with C >= 2 (codec with '
                             f'reshape_keypoints=False), got shape '
                             f'{np.shape(results[self.key])}')
        if motion.shape[0] == 0 or motion.shape[1] == 0:
            raise ValueError(f'{name}: "{self.key}" is empty, shape '
                             f'{motion.shape}')
        if not np.issubdtype(motion.dtype, np.number):
            raise ValueError(f'{name}: "{self.key}" must be numeric, got '
                             f'dtype {motion.dtype}')
        if not np.isfinite(motion).all():
            raise ValueError(f'{name}: "{self.key}" holds NaN or inf')
        return motion

    def _write(self, results: dict, motion: np.ndarray) -> None:
        results[self.key] = motion.reshape(np.shape(results[self.key]))

    @staticmethod
    def _previous_mask(name: str, results: dict,
                       shape: Tuple[int, int]) -> Optional[np.ndarray]:
        previous = results.get(MOTION_MASK_KEY)
        if previous is None:
            return None
        previous = np.asarray(previous)
        if previous.shape != shape:
            raise ValueError(f'{name}: existing "{MOTION_MASK_KEY}" has shape '
                             f'{previous.shape}, expected (T, K) = {shape}')
        return previous.astype(bool)


class _MotionMasker(_RandomMotionTransform):
    """Base of the maskers: sample a (T, K) mask, OR it in, zero-fill."""

    def _sample_mask(self, num_frames: int, num_joints: int,
                     rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _check_size(self, num_frames: int, num_joints: int) -> None:
        """Raise ValueError if the window does not fit the settings."""

    def transform(self, results: dict) -> dict:
        name = type(self).__name__
        motion = self._read(results)
        num_frames, num_joints = motion.shape[:2]
        self._check_size(num_frames, num_joints)
        rng = self._rng()
        if rng.random() < self.prob:
            mask = self._sample_mask(num_frames, num_joints, rng)
        else:
            mask = np.zeros((num_frames, num_joints), dtype=bool)
        previous = self._previous_mask(name, results, mask.shape)
        if previous is not None:
            mask = mask | previous
        if mask.any():
            motion = motion.copy()
            motion[mask] = 0
            self._write(results, motion)
        results[MOTION_MASK_KEY] = mask
        return results


@TRANSFORMS.register_module()
class MaskBodyParts(_MotionMasker):
    """Mask whole body parts (limbs), zero-filled.

    With probability ``prob`` per sample, ``n`` distinct parts (``n`` uniform
    in ``[1, max_parts]``) are drawn uniformly from ``parts``; each hides all
    of its joints (``groups``, default :data:`H36M_BODY_PARTS`) over the
    whole window (``time_span=None``) or over one contiguous span of
    ``time_span = (min_len, max_len)`` frames drawn per part (length uniform,
    capped at T; start uniform). See the module doc for the keys written.

    Args:
        parts (Sequence[str]): the part names to draw from.
        prob (float): probability that a sample is masked. Default 0.5.
        max_parts (int): most parts masked together. Default 1.
        time_span (tuple[int, int], optional): span lengths in frames, or
            ``None`` to mask the whole window. Default ``None``.
        groups (dict[str, Sequence[int]], optional): joints of each part, for
            another joint layout. Default :data:`H36M_BODY_PARTS`.
        key (str): the 2D to mask. Default ``'keypoint_labels'``.
        seed (int, optional): see the module doc.

    Required keys: ``key``. Modified keys: ``key``. Added keys:
    ``motion_mask`` (T, K) bool.
    """

    def __init__(self,
                 parts: Sequence[str] = ('left_arm', 'right_arm', 'left_leg',
                                         'right_leg', 'torso', 'head'),
                 prob: float = 0.5,
                 max_parts: int = 1,
                 time_span: Optional[Tuple[int, int]] = None,
                 groups: Optional[Dict[str, Sequence[int]]] = None,
                 key: str = 'keypoint_labels',
                 seed: Optional[int] = None):
        super().__init__(key=key, prob=prob, seed=seed)
        name = type(self).__name__
        groups = H36M_BODY_PARTS if groups is None else groups
        self.groups = {
            part: tuple(int(j) for j in joints)
            for part, joints in groups.items()
        }
        if isinstance(parts, str):
            parts = (parts, )
        self.parts = tuple(parts)
        if not self.parts:
            raise ValueError(f'{name}: parts is empty')
        unknown = [p for p in self.parts if p not in self.groups]
        if unknown:
            raise ValueError(f'{name}: unknown body part(s) {unknown}; known: '
                             f'{sorted(self.groups)}')
        if len(set(self.parts)) != len(self.parts):
            raise ValueError(f'{name}: parts repeat: {self.parts}')
        if any(
                len(self.groups[p]) == 0 or min(self.groups[p]) < 0
                for p in self.parts):
            raise ValueError(f'{name}: every part needs joint indices >= 0')
        if (int(max_parts) != max_parts
                or not 1 <= max_parts <= len(self.parts)):
            raise ValueError(f'{name}: max_parts must be an integer in '
                             f'[1, {len(self.parts)}], got {max_parts}')
        self.max_parts = int(max_parts)
        self.time_span = None if time_span is None else _check_span(
            name, *time_span)

    def _check_size(self, num_frames: int, num_joints: int) -> None:
        highest = max(max(self.groups[p]) for p in self.parts)
        if highest >= num_joints:
            raise ValueError(f'{type(self).__name__}: part joints go up to '
                             f'{highest} but the input has {num_joints} '
                             'joints')
        if self.time_span is not None and self.time_span[0] > num_frames:
            raise ValueError(f'{type(self).__name__}: min_len '
                             f'{self.time_span[0]} exceeds the window of '
                             f'{num_frames} frames')

    def _sample_mask(self, num_frames: int, num_joints: int,
                     rng: np.random.Generator) -> np.ndarray:
        mask = np.zeros((num_frames, num_joints), dtype=bool)
        count = int(rng.integers(1, self.max_parts + 1))
        chosen = rng.choice(len(self.parts), size=count, replace=False)
        for index in np.sort(chosen):
            joints = list(self.groups[self.parts[index]])
            if self.time_span is None:
                frames = slice(None)
            else:
                frames = _sample_span(
                    type(self).__name__, num_frames, *self.time_span, rng)
            mask[frames, joints] = True
        return mask

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(parts={self.parts}, prob={self.prob}, '
                f'max_parts={self.max_parts}, time_span={self.time_span}, '
                f'key={self.key!r}, seed={self.seed})')


@TRANSFORMS.register_module()
class MaskTimeWindows(_MotionMasker):
    """Mask contiguous frame spans (all joints), zero-filled.

    With probability ``prob`` per sample, ``num_windows`` spans are drawn,
    each of length uniform in ``[min_len, min(max_len, T)]`` frames at a
    uniform start; spans drawn independently may overlap (then fewer frames
    are masked). ``min_len > T`` is a ValueError.

    Args:
        num_windows (int): spans per sample. Default 1.
        min_len (int): shortest span, frames. Default 10.
        max_len (int): longest span, frames. Default 30.
        prob (float): probability that a sample is masked. Default 0.5.
        key (str): the 2D to mask. Default ``'keypoint_labels'``.
        seed (int, optional): see the module doc.

    Required keys: ``key``. Modified keys: ``key``. Added keys:
    ``motion_mask`` (T, K) bool.
    """

    def __init__(self,
                 num_windows: int = 1,
                 min_len: int = 10,
                 max_len: int = 30,
                 prob: float = 0.5,
                 key: str = 'keypoint_labels',
                 seed: Optional[int] = None):
        super().__init__(key=key, prob=prob, seed=seed)
        name = type(self).__name__
        if int(num_windows) != num_windows or num_windows < 1:
            raise ValueError(f'{name}: num_windows must be an integer >= 1, '
                             f'got {num_windows}')
        self.num_windows = int(num_windows)
        self.min_len, self.max_len = _check_span(name, min_len, max_len)

    def _check_size(self, num_frames: int, num_joints: int) -> None:
        if self.min_len > num_frames:
            raise ValueError(f'{type(self).__name__}: min_len {self.min_len} '
                             f'exceeds the window of {num_frames} frames')

    def _sample_mask(self, num_frames: int, num_joints: int,
                     rng: np.random.Generator) -> np.ndarray:
        mask = np.zeros((num_frames, num_joints), dtype=bool)
        for _ in range(self.num_windows):
            mask[_sample_span(
                type(self).__name__, num_frames, self.min_len, self.max_len,
                rng)] = True
        return mask

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_windows={self.num_windows}, '
                f'min_len={self.min_len}, max_len={self.max_len}, '
                f'prob={self.prob}, key={self.key!r}, seed={self.seed})')


@TRANSFORMS.register_module()
class RandomJointFrameMask(_MotionMasker):
    """MotionBERT's random masking of (frame, joint) entries and whole frames.

    With ``exact=True`` (default) exactly ``round(frame_ratio * T)`` distinct
    whole frames are masked, then exactly ``round(joint_ratio * T * K)``
    distinct (frame, joint) entries among the remaining frames (so the two
    counts add up; capped at the entries left). ``round`` is Python's
    (half to even). With ``exact=False`` each entry is masked with
    probability ``joint_ratio`` and each frame with ``frame_ratio``
    independently (MotionBERT's Bernoulli form; same expected ratios).

    Args:
        joint_ratio (float): share of (frame, joint) entries. Default 0.05.
        frame_ratio (float): share of whole frames. Default 0.1.
        exact (bool): exact counts (True) or Bernoulli draws. Default True.
        prob (float): probability that a sample is masked. Default 1.0.
        key (str): the 2D to mask. Default ``'keypoint_labels'``.
        seed (int, optional): see the module doc.

    Required keys: ``key``. Modified keys: ``key``. Added keys:
    ``motion_mask`` (T, K) bool.
    """

    def __init__(self,
                 joint_ratio: float = 0.05,
                 frame_ratio: float = 0.1,
                 exact: bool = True,
                 prob: float = 1.0,
                 key: str = 'keypoint_labels',
                 seed: Optional[int] = None):
        super().__init__(key=key, prob=prob, seed=seed)
        name = type(self).__name__
        self.joint_ratio = _check_prob(name, joint_ratio, 'joint_ratio')
        self.frame_ratio = _check_prob(name, frame_ratio, 'frame_ratio')
        self.exact = bool(exact)

    def _sample_mask(self, num_frames: int, num_joints: int,
                     rng: np.random.Generator) -> np.ndarray:
        if not self.exact:
            mask = rng.random((num_frames, num_joints)) < self.joint_ratio
            mask |= (rng.random(num_frames) < self.frame_ratio)[:, None]
            return mask
        mask = np.zeros((num_frames, num_joints), dtype=bool)
        num_masked_frames = int(round(self.frame_ratio * num_frames))
        frames = rng.choice(num_frames, size=num_masked_frames, replace=False)
        mask[frames] = True
        free = np.flatnonzero(~mask.ravel())
        num_entries = min(
            int(round(self.joint_ratio * num_frames * num_joints)), free.size)
        entries = rng.choice(free, size=num_entries, replace=False)
        mask.ravel()[entries] = True
        return mask

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(joint_ratio={self.joint_ratio}, '
                f'frame_ratio={self.frame_ratio}, exact={self.exact}, '
                f'prob={self.prob}, key={self.key!r}, seed={self.seed})')


@TRANSFORMS.register_module()
class Add2DNoise(_RandomMotionTransform):
    """Add i.i.d. Gaussian noise to the 2D, except where it is masked.

    With probability ``prob`` per sample, ``N(0, std**2)`` noise is added to
    the first ``num_dims`` channels of ``results[key]``, in the units that
    key holds (the codec's normalised units for ``keypoint_labels``: divided
    by half the image width, so 0.01 is 5 px on a 1000 px wide image; pixels
    for ``keypoints``). Entries True in ``motion_mask`` and frames True in
    ``absent_frames`` (``ZeroFillAbsentFrames``) are left unchanged, so
    masked and absent entries stay exactly zero whatever the order of the
    transforms (a masker placed after the noise zero-fills anyway).
    ``motion_mask`` is neither written nor changed.

    MotionBERT's noise also has a smooth, per-joint component fitted to
    detector errors (not reproduced here); ``std`` may be given per joint.

    Args:
        std (float | Sequence[float]): standard deviation, one value or one
            per joint (K values). Default 0.01.
        prob (float): probability that a sample is noised. Default 1.0.
        num_dims (int): leading channels that get noise (2: x, y; channel 2
            of a (T, K, 3) input, e.g. a visibility, is kept). Default 2.
        key (str): the 2D to corrupt. Default ``'keypoint_labels'``.
        seed (int, optional): see the module doc.

    Required keys: ``key``. Modified keys: ``key``.
    """

    def __init__(self,
                 std: Union[float, Sequence[float]] = 0.01,
                 prob: float = 1.0,
                 num_dims: int = 2,
                 key: str = 'keypoint_labels',
                 seed: Optional[int] = None):
        super().__init__(key=key, prob=prob, seed=seed)
        name = type(self).__name__
        std = np.asarray(std, dtype=np.float64)
        if std.ndim > 1 or std.size == 0 or not np.isfinite(std).all() or (
                std < 0).any():
            raise ValueError(f'{name}: std must be a finite value >= 0 or '
                             f'one per joint, got {std.tolist()}')
        self.std = std
        if int(num_dims) != num_dims or num_dims < 1:
            raise ValueError(f'{name}: num_dims must be an integer >= 1, got '
                             f'{num_dims}')
        self.num_dims = int(num_dims)

    def transform(self, results: dict) -> dict:
        name = type(self).__name__
        motion = self._read(results)
        num_frames, num_joints, channels = motion.shape
        if self.num_dims > channels:
            raise ValueError(f'{name}: num_dims {self.num_dims} exceeds the '
                             f'{channels} channels of "{self.key}"')
        if self.std.ndim == 1 and self.std.size != num_joints:
            raise ValueError(f'{name}: {self.std.size} per-joint std values '
                             f'for {num_joints} joints')
        keep = self._previous_mask(name, results, (num_frames, num_joints))
        rng = self._rng()
        if not rng.random() < self.prob:
            return results
        std = self.std[:, None] if self.std.ndim == 1 else self.std
        noise = rng.standard_normal((num_frames, num_joints, self.num_dims))
        noise *= std
        if keep is None:
            keep = np.zeros((num_frames, num_joints), dtype=bool)
        absent = results.get('absent_frames')
        if absent is not None:
            absent = np.asarray(absent, dtype=bool).reshape(-1)
            if absent.shape == (num_frames, ):
                keep = keep | absent[:, None]
        noise[keep] = 0
        if not np.issubdtype(motion.dtype, np.floating):
            motion = motion.astype(np.float32)
        else:
            motion = motion.copy()
        motion[..., :self.num_dims] += noise.astype(motion.dtype)
        self._write(results, motion)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(std={self.std.tolist()}, '
                f'prob={self.prob}, num_dims={self.num_dims}, '
                f'key={self.key!r}, seed={self.seed})')
