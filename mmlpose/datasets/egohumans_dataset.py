# Copyright (c) mmlpose contributors. All rights reserved.
"""EgoHumans multi-human lifting data: one track per sequence, camera and
person, in mmpose's Human3.6M npz layout (written by
``tools/dataset_converters/egohumans_to_h36m.py``)."""
import os.path as osp
import re
from typing import Tuple

from mmlpose.registry import DATASETS
from .h36m_text_dataset import Human36mTextDataset, action_to_text

# Text of each EgoHumans activity (the folder name's activity word). The
# first word is FinePOSE's action-verb prompt.
EGOHUMANS_ACTIVITY_TEXT = {
    'tagging': 'tagging',
    'lego': 'lego assembling',
    'legoassemble': 'lego assembling',
    'fencing': 'fencing',
    'basketball': 'basketball',
    'volleyball': 'volleyball',
    'badminton': 'badminton',
    'tennis': 'tennis',
}

_IMGNAME = re.compile(r'([^_/]+)_([^./]+)\.([^_/]+)_p(\d+)_(\d+)\.\w+')


def egohumans_imgname(subject: str, activity: str, camera: str, person: int,
                      frame: int) -> str:
    """Image name of one person in one frame of one exo camera:
    ``'{subject}_{activity}.{camera}_p{person}_{frame:06d}.jpg'``, e.g.
    ``'S01-001_tagging.cam01_p2_000001.jpg'`` (big sequence 01, sequence
    001, camera ``cam01``, ``aria02``, time stamp 1)."""
    for name, value in (('subject', subject), ('activity', activity),
                        ('camera', camera)):
        if not value or re.search(r'[_./]', value):
            raise ValueError(f'{name} "{value}" must be non-empty and free '
                             'of "_", "." and "/"')
    return f'{subject}_{activity}.{camera}_p{int(person)}_{int(frame):06d}.jpg'


def parse_egohumans_imgname(imgname: str) -> Tuple[str, str, str, int, int]:
    """``(subject, activity, camera, person, frame)`` of an image name made
    by :func:`egohumans_imgname`; a one-line ``ValueError`` otherwise."""
    match = _IMGNAME.fullmatch(osp.basename(str(imgname)))
    if match is None:
        raise ValueError(
            f'"{imgname}" is not an EgoHumans image name '
            '"{subject}_{activity}.{camera}_p{person}_{frame:06d}.jpg"')
    subject, activity, camera, person, frame = match.groups()
    return subject, activity, camera, int(person), int(frame)


@DATASETS.register_module()
class EgoHumansLiftingDataset(Human36mTextDataset):
    """EgoHumans multi-human sequences for lifting, person by person.

    FinePOSE's multi-human protocol: each person is lifted on their own, so
    every (sequence, exo camera, person) is one track, cut into windows like
    a Human3.6M video. Frames where the person is out of view are stored as
    zeros with zero visibility (2D and 3D); ``ZeroFillAbsentFrames`` in the
    pipeline keeps them at zero after normalisation and out of the loss,
    and the metrics skip them (``lifting_target_visible``). A window in
    which the person is never in view is dropped (mmpose's validity filter:
    no positive 2D coordinate).
    :func:`mmlpose.apis.lift_multi_person` stacks the per-person results
    along a person axis, ``(P, T, K, 3)``.

    Image names are ``{subject}_{activity}.{camera}_p{person}_{frame}.jpg``
    (:func:`egohumans_imgname`); the camera file is keyed by
    ``(subject, camera)``. Every sample also carries ``person_id`` (the
    ``ariaNN`` number), ``view`` (``'{subject}_{activity}.{camera}'``) and
    ``frame_ids`` (time stamps of its frames), so that predictions can be
    regrouped by view and person; ``action_text`` is the activity's text
    from ``EGOHUMANS_ACTIVITY_TEXT``.

    Args:
        See :class:`Human36mTextDataset`.
    """

    def _parse_h36m_imgname(self, imgname) -> Tuple[str, str, str]:
        # One track per person: the person is part of the "camera" key that
        # mmpose groups the frames of a video by.
        subject, activity, camera, person, _ = parse_egohumans_imgname(
            imgname)
        return subject, activity, f'{camera}_p{person}'

    def camera_key(self, imgname: str) -> Tuple[str, str]:
        subject, _, camera, _, _ = parse_egohumans_imgname(imgname)
        return subject, camera

    def action_text(self, action: str) -> str:
        return EGOHUMANS_ACTIVITY_TEXT.get(action, action_to_text(action))

    def _load_annotations(self):
        instance_list, image_list = super()._load_annotations()
        imgnames = self.ann_data['imgname']
        for instance in instance_list:
            frame_ids = instance['img_ids']
            subject, activity, camera, person, _ = parse_egohumans_imgname(
                imgnames[frame_ids[0]])
            instance['person_id'] = person
            instance['view'] = f'{subject}_{activity}.{camera}'
            instance['frame_ids'] = [
                parse_egohumans_imgname(imgnames[i])[4] for i in frame_ids
            ]
        return instance_list, image_list
