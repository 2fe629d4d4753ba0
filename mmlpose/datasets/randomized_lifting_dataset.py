# Copyright (c) mmlpose contributors. All rights reserved.
"""Lifting samples filmed afresh for every draw: random bodies, cameras and
detector-like 2D on real motion capture (see
:mod:`mmlpose.datasets.virtual_capture`)."""
import os.path as osp
from dataclasses import replace
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from mmlpose.registry import DATASETS
from mmlpose.structures.video_sequence import VideoSequence
from .converters.deepmimic import (TEST_CLIPS, clip_action, clip_to_h36m_world,
                                   default_motion_dir, default_urdf_path,
                                   find_clips, load_humanoid)
from .virtual_capture import (SHIFTED_RANDOMIZATION, TRAIN_RANDOMIZATION,
                              CaptureRandomization, safe_capture)

#: Named randomisation presets.
RANDOMIZATIONS = dict(train=TRAIN_RANDOMIZATION, shifted=SHIFTED_RANDOMIZATION)


def _randomization(value: Union[str, dict, CaptureRandomization]
                   ) -> CaptureRandomization:
    if isinstance(value, CaptureRandomization):
        return value
    if isinstance(value, str):
        if value not in RANDOMIZATIONS:
            raise ValueError(f'unknown randomization "{value}"; choose one of '
                             f'{sorted(RANDOMIZATIONS)} or give a dict')
        return RANDOMIZATIONS[value]
    if isinstance(value, dict):
        value = dict(value)
        base = _randomization(value.pop('base', 'train'))
        tuples = {
            k: tuple(tuple(x) if isinstance(x, (list, tuple)) else x
                     for x in v) if isinstance(v, (list, tuple)) else v
            for k, v in value.items()
        }
        try:
            return replace(base, **tuples)
        except TypeError as err:
            raise ValueError(f'bad randomization field: {err}') from None
    raise TypeError('randomization must be a preset name, a dict or a '
                    f'CaptureRandomization, got {type(value).__name__}')


@DATASETS.register_module()
class RandomizedLiftingDataset(BaseDataset):
    """DeepMimic motion capture filmed with a new random body, camera and
    2D detector every time a sample is drawn.

    The clips (pybullet's DeepMimic humanoid motions, as
    :func:`~mmlpose.datasets.converters.deepmimic.clip_to_h36m_world` poses
    them) are resampled at each frame rate of ``fps`` (slower or faster
    motion per frame). A sample is a window of ``multiple_target`` frames
    of one clip at one rate, every frame a target (mmpose's seq2seq
    naming); windows start every ``multiple_target_step`` frames. For each
    draw,
    :func:`~mmlpose.datasets.virtual_capture.capture` retargets the body,
    places a camera and makes detector-like 2D; the sample then has the
    keys of mmpose's ``Human36mDataset`` samples (``keypoints`` pixels,
    ``keypoints_visible`` = detector scores, ``lifting_target`` camera-frame
    metres, ``camera_param`` with ``w``, ``h``, ``f``, ``c``,
    ``target_img_path`` in the H36M naming so that ``ActionMPJPE`` reports
    per clip, ``action_text``), so the usual lifting pipeline and codec
    apply.

    Randomness: with ``seed=None`` each draw takes a generator seeded from
    numpy's global RNG (which mmengine seeds per run and per worker): every
    epoch films anew. With an integer ``seed`` the capture of window ``i``
    is fixed (``default_rng((seed, i))``): a reproducible test set.

    Args:
        clips (str | Sequence[str]): ``'train'`` (every clip not in
            :data:`~mmlpose.datasets.converters.deepmimic.TEST_CLIPS`),
            ``'test'`` (those) or clip names.
        multiple_target (int): Frames per sample (the lifting window).
            Defaults to 27.
        multiple_target_step (int): Frames between window starts. Defaults
            to 9.
        fps (Sequence[float]): Frame rates the clips are resampled at.
            Defaults to ``(30.,)``.
        randomization (str | dict | CaptureRandomization): ``'train'``,
            ``'shifted'``, a dict of fields overriding a preset (``base``
            names it, default ``'train'``), or the object.
        seed (int, optional): See above.
        repeat (int): Each window appears this many times per epoch (each
            filmed anew). Defaults to 1.
        scenes_per_clip (int): Captures of each clip that
            :meth:`video_sequences` films by default. Defaults to 1.
        motion_dir (str, optional): DeepMimic motions folder; default
            pybullet's.
        urdf_path (str, optional): Humanoid URDF; default pybullet's.
        pipeline (list): Data transforms.
        test_mode (bool): mmengine's test mode flag.
    """

    METAINFO: dict = dict(from_file='configs/_base_/datasets/h36m.py')
    SUBJECT = 'VC'  # "virtual capture" in the image names

    def __init__(self,
                 clips: Union[str, Sequence[str]] = 'train',
                 multiple_target: int = 27,
                 multiple_target_step: int = 9,
                 fps: Sequence[float] = (30., ),
                 randomization: Union[str, dict,
                                      CaptureRandomization] = 'train',
                 seed: Optional[int] = None,
                 repeat: int = 1,
                 scenes_per_clip: int = 1,
                 motion_dir: Optional[str] = None,
                 urdf_path: Optional[str] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        if min(multiple_target, multiple_target_step, repeat,
               scenes_per_clip) < 1:
            raise ValueError(
                'multiple_target, multiple_target_step, repeat and '
                f'scenes_per_clip must be >= 1, got {multiple_target}, '
                f'{multiple_target_step}, {repeat}, {scenes_per_clip}')
        if not fps or min(fps) <= 0:
            raise ValueError(f'fps must be positive rates, got {fps}')
        self.clip_names = clips
        self.seq_len = int(multiple_target)
        self.step = int(multiple_target_step)
        self.fps = tuple(float(f) for f in fps)
        self.randomization = _randomization(randomization)
        self.seed = seed
        self.repeat = int(repeat)
        self.scenes_per_clip = int(scenes_per_clip)
        self.motion_dir = motion_dir
        self.urdf_path = urdf_path
        self.motions: Dict[Tuple[str, float], np.ndarray] = {}
        super().__init__(
            ann_file='',
            pipeline=list(pipeline),
            test_mode=test_mode,
            serialize_data=False,
            **kwargs)

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        if metainfo is None:
            metainfo = dict(cls.METAINFO)
        if 'from_file' in metainfo and not osp.isfile(metainfo['from_file']):
            import mmpose
            metainfo = dict(
                from_file=osp.join(
                    osp.dirname(mmpose.__file__), '.mim',
                    metainfo['from_file']))
        return parse_pose_metainfo(metainfo)

    def _select_clips(self, available: Sequence[str]) -> List[str]:
        if isinstance(self.clip_names, str):
            if self.clip_names == 'train':
                return [n for n in available if n not in TEST_CLIPS]
            if self.clip_names == 'test':
                return [n for n in available if n in TEST_CLIPS]
            names = [self.clip_names]
        else:
            names = list(self.clip_names)
        missing = [n for n in names if n not in available]
        if missing:
            raise ValueError(f'unknown clips {missing}; available: '
                             f'{list(available)}')
        return names

    def load_data_list(self) -> List[dict]:
        paths = find_clips(self.motion_dir or default_motion_dir())
        humanoid = load_humanoid(self.urdf_path or default_urdf_path())
        data_list = []
        for name in self._select_clips(list(paths)):
            for fps in self.fps:
                joints = clip_to_h36m_world(paths[name], humanoid, fps)
                self.motions[(name, fps)] = joints
                last = max(len(joints) - self.seq_len, 0)
                starts = list(range(0, last + 1, self.step))
                if starts[-1] != last:
                    starts.append(last)
                data_list += [
                    dict(clip=name, fps=fps, start=s) for s in starts
                ]
        if not data_list:
            raise ValueError('no clip selected')
        return data_list * self.repeat

    # ------------------------------------------------------------------
    def _rng(self, idx: int) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(np.random.randint(0, 2**31 - 1))
        return np.random.default_rng((self.seed, idx))

    def _window(self, joints: np.ndarray, start: int) -> np.ndarray:
        clip = joints[start:start + self.seq_len]
        if len(clip) < self.seq_len:  # a clip shorter than the window
            pad = self.seq_len - len(clip)
            clip = np.pad(clip, ((pad // 2, pad - pad // 2), (0, 0), (0, 0)),
                          mode='edge')
        return clip

    def _sample(self, name: str, fps: float, frames: np.ndarray,
                first_frame: int, rng: np.random.Generator,
                idx: int) -> dict:
        shot = safe_capture(frames, rng, self.randomization)
        token, text = clip_action(name)
        camera_id = f'{int(fps)}fps{idx:06d}'
        seq = f'{self.SUBJECT}_{token}.{camera_id}'
        img_paths = [
            f'{self.SUBJECT}/{seq}/{seq}_{first_frame + t + 1:06d}.jpg'
            for t in range(len(frames))
        ]
        camera = dict(shot.camera, name=camera_id, id=camera_id)
        info = dict(
            num_keypoints=17,
            keypoints=shot.keypoints_2d,
            keypoints_visible=shot.keypoint_scores,
            keypoints_3d=shot.keypoints_3d,
            keypoints_3d_visible=np.ones((len(frames), 17), np.float32),
            lifting_target=shot.keypoints_3d,
            lifting_target_visible=np.ones((len(frames), 17), np.float32),
            camera_param=camera,
            target_img_path=np.array(img_paths),
            img_paths=img_paths,
            img_ids=list(range(len(frames))),
            factor=np.zeros(len(frames), np.float32),
            id=idx,
            category_id=1,
            iscrowd=0,
            action=token,
            action_text=text,
            sample_idx=idx)
        for key in ('upper_body_ids', 'lower_body_ids', 'flip_pairs',
                    'dataset_keypoint_weights', 'flip_indices',
                    'skeleton_links'):
            if key in self.metainfo:
                info[key] = self.metainfo[key]
        return info

    def get_data_info(self, idx: int) -> dict:
        """Film window ``idx`` (see the class docstring for randomness)."""
        entry = self.data_list[idx]
        joints = self.motions[(entry['clip'], entry['fps'])]
        return self._sample(entry['clip'], entry['fps'],
                            self._window(joints, entry['start']),
                            entry['start'], self._rng(idx), idx)

    def video_sequences(self,
                        scenes_per_clip: Optional[int] = None,
                        occlusions: Optional[Sequence] = None
                        ) -> Iterator[VideoSequence]:
        """Whole clips filmed as test videos: ``scenes_per_clip`` (default:
        the dataset's) captures of every clip at every rate, each fixed by
        ``(seed or 0, clip index, scene)``; ``occlusions`` (``(limb, start,
        end)`` spans) replaces the random ones.

        Yields:
            VideoSequence: detector-like 2D, scores, the camera-frame 3D
            truth, the image size, the clip's action text, and ``meta`` with
            the camera and the really unseen keypoints (``unseen``).
        """
        seed = 0 if self.seed is None else self.seed
        if scenes_per_clip is None:
            scenes_per_clip = self.scenes_per_clip
        for clip_idx, ((name, fps), joints) in enumerate(
                sorted(self.motions.items())):
            for scene in range(scenes_per_clip):
                rng = np.random.default_rng((seed, 10**6 + clip_idx, scene))
                shot = safe_capture(joints, rng, self.randomization,
                                    occlusions)
                yield VideoSequence(
                    name=f'{name}@{fps:g}fps/scene{scene}',
                    keypoints_2d=shot.keypoints_2d,
                    keypoint_scores=shot.keypoint_scores,
                    image_size=(shot.camera['w'], shot.camera['h']),
                    action_text=clip_action(name)[1],
                    keypoints_3d=shot.keypoints_3d,
                    meta=dict(camera=shot.camera, unseen=shot.unseen,
                              bone_lengths=shot.bone_lengths))
