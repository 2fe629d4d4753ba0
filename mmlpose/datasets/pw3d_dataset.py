# Copyright (c) mmlpose contributors. All rights reserved.
"""3DPW (release layout) for lifting: windows for ``tools/test.py`` and whole
per-person sequences for test-time adaptation."""
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import numpy as np

from mmlpose.registry import DATASETS
from mmlpose.structures import VideoSequence
from .converters.pw3d import (activity_text, sequence_files, sequence_tracks,
                              track_to_video_sequence)
from .h36m_text_dataset import Human36mTextDataset, resolve_path


class _Arrays(dict):
    """Per-frame arrays of all tracks, with the ``files`` attribute of the
    npz files that :class:`Human36mTextDataset` reads."""

    @property
    def files(self) -> List[str]:
        return list(self.keys())


def _with_visibility(points: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """``(T, K, D)`` points and ``(T,)`` or ``(T, K)`` visibility ->
    ``(T, K, D + 1)`` float32 (mmpose's ``S`` / ``part`` layout)."""
    visible = np.asarray(visible, dtype=np.float32)
    if visible.ndim == 1:
        visible = np.repeat(visible[:, None], points.shape[1], axis=1)
    return np.concatenate([points, visible[..., None]],
                          axis=-1).astype(np.float32)


@DATASETS.register_module()
class PW3DDataset(Human36mTextDataset):
    """3DPW ("3D Poses in the Wild", ECCV'2018) read from the release's
    sequence files, as H36M-17 windows of camera-frame metres.

    ``ann_file`` is a split folder (``sequenceFiles/test``, every ``.pkl``
    in it) or one sequence file, relative to ``data_root``. Each tracked
    person of a sequence is one video (track ``'<sequence>/person<p>'``),
    cut into samples exactly as a Human3.6M video (``multiple_target``,
    ``multiple_target_step``, ``seq_len``, ``seq_step``, ``pad_video_seq``,
    ...). A sample has ``keypoints`` (pixels) and ``keypoints_visible``
    (OpenPose confidences), ``lifting_target`` (camera-frame metres, SMPL
    joints mapped by :func:`~mmlpose.datasets.converters.pw3d.smpl_to_h36m`),
    ``lifting_target_visible`` (0 on frames whose ``campose_valid`` is
    False: kept in the window as input, left out of the metrics),
    ``camera_param`` (``f``, ``c`` from ``cam_intrinsics``, ``w``, ``h``),
    ``action`` (the sequence name without its take, e.g.
    ``'courtyard_basketball'``), ``action_text`` (the activity words,
    ``'basketball'``, or None with ``use_action_text=False``),
    ``sequence``, ``person_id`` and ``frame_ids`` (frame indices in the
    sequence). Windows without any valid 3D frame are dropped.

    The image size comes from the sequence's first image when
    ``imageFiles/`` is there, else from ``image_size``, else from the
    principal point (portrait 1080 x 1920 when ``c_x < c_y``, landscape
    1920 x 1080 otherwise).

    :meth:`video_sequences` yields each track whole as a
    :class:`~mmlpose.structures.VideoSequence` (for ``tools/tta.py``).

    Args:
        ann_file (str): Split folder or sequence file. Default:
            ``'sequenceFiles/test'``.
        image_size (tuple, optional): ``(w, h)`` when images are absent.
        keypoints_2d (str): ``'openpose'`` (the release's 2D, default) or
            ``'projection'`` (the 3D projected with the intrinsics).
        use_action_text (bool): Give samples the activity text. Default True.
        **kwargs: Arguments of :class:`Human36mTextDataset` except
            ``camera_param_file``, ``keypoint_2d_src`` and
            ``keypoint_2d_det_file`` (the cameras and 2D are in the sequence
            files).
    """

    def __init__(self,
                 ann_file: str = 'sequenceFiles/test',
                 image_size: Optional[Tuple[int, int]] = None,
                 keypoints_2d: str = 'openpose',
                 use_action_text: bool = True,
                 **kwargs):
        for key in ('camera_param_file', 'keypoint_2d_det_file'):
            if kwargs.get(key):
                raise ValueError(f'PW3DDataset takes no {key}: cameras and '
                                 '2D keypoints come from the sequence files')
        if kwargs.get('keypoint_2d_src', 'gt') != 'gt':
            raise ValueError('PW3DDataset takes no keypoint_2d_src; choose '
                             'the 2D with keypoints_2d="openpose" or '
                             '"projection"')
        if keypoints_2d not in ('openpose', 'projection'):
            raise ValueError('keypoints_2d must be "openpose" or '
                             f'"projection", got "{keypoints_2d}"')
        if image_size is not None and (len(image_size) != 2
                                       or min(image_size) <= 0):
            raise ValueError(f'image_size must be (w, h) > 0, got '
                             f'{image_size}')
        self.image_size = image_size
        self.keypoints_2d = keypoints_2d
        self.use_action_text = use_action_text
        self._data_root = kwargs.get('data_root')
        super().__init__(ann_file=ann_file, **kwargs)

    # -- loading ---------------------------------------------------------
    def _load_ann_file(self, ann_file: str) -> None:
        """Read every sequence file into per-frame arrays (``imgname``,
        ``track``, ``S``, ``part``, ``action``, ...) of all tracks."""
        self.tracks: List[dict] = []
        for path in sequence_files(ann_file):
            self.tracks.extend(
                sequence_tracks(path, self._data_root, self.image_size,
                                self.keypoints_2d))
        cat = np.concatenate
        num_frames = sum(len(t['valid']) for t in self.tracks)
        self.ann_data = _Arrays(
            imgname=cat([t['image_names'] for t in self.tracks]),
            track=cat([[t['name']] * len(t['valid']) for t in self.tracks]),
            frame_id=cat([np.arange(len(t['valid'])) for t in self.tracks]),
            track_id=cat([[i] * len(t['valid'])
                          for i, t in enumerate(self.tracks)]),
            action=cat([[t['sequence']] * len(t['valid'])
                        for t in self.tracks]),
            S=cat([
                _with_visibility(t['keypoints_3d'], t['valid'])
                for t in self.tracks
            ]),
            part=cat([
                _with_visibility(t['keypoints'], t['scores'])
                for t in self.tracks
            ]),
            center=np.zeros((num_frames, 2), dtype=np.float32),
            scale=np.zeros(num_frames, dtype=np.float32))

    def get_sequence_indices(self) -> List[List[int]]:
        """Windows of each track, cut by mmpose's ``Human36mDataset``.

        mmpose groups frames into videos by parsing ``imgname``; the image
        names of two people in one sequence are the same, so the grouping
        runs on the track names (``'<sequence>/person<p>'``) instead.
        """
        imgnames = self.ann_data['imgname']
        self.ann_data['imgname'] = self.ann_data['track']
        try:
            return super().get_sequence_indices()
        finally:
            self.ann_data['imgname'] = imgnames

    def _parse_h36m_imgname(self, imgname) -> Tuple[str, str, str]:
        # only called on track names (see get_sequence_indices)
        sequence, person = str(imgname).rsplit('/', 1)
        return sequence, '', person

    def camera_key(self, imgname: str) -> str:
        """The sequence of an image name (one camera per sequence)."""
        return osp.basename(osp.dirname(str(imgname)))

    def action_text(self, action: str) -> Optional[str]:
        """Activity words of a sequence name (``'courtyard_basketball_00'``
        -> ``'basketball'``), or None with ``use_action_text=False``."""
        return activity_text(action) if self.use_action_text else None

    def _load_annotations(self) -> Tuple[list, list]:
        instance_list, image_list = super()._load_annotations()
        kept = []
        for instance in instance_list:
            frames = instance['img_ids']
            if not np.any(instance['lifting_target_visible'] > 0):
                continue  # no valid 3D frame: nothing to evaluate
            track = self.tracks[int(self.ann_data['track_id'][frames[0]])]
            instance['camera_param'] = dict(track['camera'])
            instance['sequence'] = track['sequence']
            instance['person_id'] = track['person']
            instance['frame_ids'] = [
                int(self.ann_data['frame_id'][i]) for i in frames
            ]
            kept.append(instance)
        return kept, image_list

    # -- whole sequences -------------------------------------------------
    def video_sequences(self) -> Iterator[VideoSequence]:
        """Each (sequence, person) whole: 2D pixels + confidences, camera-
        frame 3D truth (visible where ``campose_valid``), ``image_size``,
        ``action_text`` and ``meta`` (``camera``, ``sequence``, ``person``,
        ``frame_ids``, ``img_frame_ids``, ``image_paths``, ``source``)."""
        for track in self.tracks:
            yield track_to_video_sequence(track,
                                          self.action_text(track['sequence']))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({len(self.tracks)} tracks, '
                f'{len(self)} samples)')


def pw3d_video_sequences(
        data_root: str,
        split: str = 'test',
        image_size: Optional[Tuple[int, int]] = None,
        keypoints_2d: str = 'openpose',
        use_action_text: bool = True) -> Iterator[VideoSequence]:
    """:meth:`PW3DDataset.video_sequences` without building a dataset:
    every (sequence, person) of ``<data_root>/sequenceFiles/<split>``
    (``split`` may also be a folder or file path relative to the root)."""
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    folder = split if split.endswith('.pkl') or '/' in split else osp.join(
        'sequenceFiles', split)
    for path in sequence_files(resolve_path(folder, data_root)):
        for track in sequence_tracks(path, data_root, image_size,
                                     keypoints_2d):
            yield track_to_video_sequence(
                track,
                activity_text(track['sequence']) if use_action_text else None)
