# Copyright (c) mmlpose contributors. All rights reserved.
"""A tiny Panoptic-L3D data root in the released layout, made from the real
CMU Panoptic sample of mmpose's test data (``panoptic_body3d/160906_band1``:
its calibration and the 3 bodies of ``body3DScene_00000168.json``).

One sentence (camera 16, frames [150, 300)) refers to the second body whose
root is visible (body id 1). The bodies are written as frame 165 (the one
annotated frame: a multiple of 15) and, moved by ``WINDOW_SHIFT_CM`` cm
along the Panoptic x axis per frame from 165, as the other frames of the
window ([157, 165, 190, 224, 258, 292]): frame 190 lists the bodies in
reverse order and frame 224 lacks body 2, to test the matching by id. Each
window frame gets a 1920 x 1080 textured jpg; frame 165 a palette mask whose
index ``id + 1`` fills the convex hull of each visible body's projected 2D
(the referred body drawn last).
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
from PIL import Image

VIDEO = '160906_band1'
CAMERA = 16
FRAME = 165
BEGIN, END = 150, 300
#: Hand-computed window: start = 150 + int(150 * 0.1) // 2 = 157 (150 * 0.1
#: is 14.99... in floats), final = 157 + 135 = 292, linspace(157, 292, 5)
#: = 157, 190, 224, 258, 292, with 165 inserted at index 1.
WINDOW = (157, 165, 190, 224, 258, 292)
CURRENT_IDX = 1
WINDOW_SHIFT_CM = 0.5
REVERSED_FRAME = 190
MISSING = (224, 2)  # frame, body id absent there
REFERRED_BODY = 1
SOURCE = 'panoptic_body3d/160906_band1'
WIDTH, HEIGHT = 1920, 1080


def source_bodies(shared_data: str) -> list:
    """The bodies of the real ``body3DScene_00000168.json``."""
    path = osp.join(shared_data, SOURCE, 'hdPose3d_stage1_coco19',
                    'body3DScene_00000168.json')
    with open(path) as f:
        return json.load(f)['bodies']


def hd_camera(shared_data: str, camera_id: int = CAMERA) -> dict:
    """Raw calibration entry (Panoptic axes, cm) of HD camera ``camera_id``."""
    path = osp.join(shared_data, SOURCE, f'calibration_{VIDEO}.json')
    with open(path) as f:
        cams = json.load(f)['cameras']
    return next(c for c in cams if c['panel'] == 0 and c['node'] == camera_id)


def project_raw(points_cm: np.ndarray, cam: dict) -> np.ndarray:
    """(N, 3) Panoptic-world cm -> (N, 2) pixels by cv2.projectPoints."""
    rvec, _ = cv2.Rodrigues(np.asarray(cam['R'], np.float64))
    uv, _ = cv2.projectPoints(
        np.asarray(points_cm, np.float64).reshape(-1, 1, 3), rvec,
        np.asarray(cam['t'], np.float64).reshape(3, 1),
        np.asarray(cam['K'], np.float64),
        np.asarray(cam['distCoef'], np.float64))
    return uv.reshape(-1, 2)


def _texture(seed: int, blank: bool = False) -> np.ndarray:
    """1920 x 1080 BGR gradient + noise (or one flat colour)."""
    if blank:
        return np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 200, WIDTH, dtype=np.float32)[None, :]
    y = np.linspace(0, 200, HEIGHT, dtype=np.float32)[:, None]
    img = np.stack(np.broadcast_arrays(x, y, (x + y) / 2), -1)
    noise = rng.integers(0, 48, (HEIGHT // 4, WIDTH // 4, 3), np.uint8)
    noise = cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)
    return (img.astype(np.uint8) + noise).astype(np.uint8)


def _write_json(path: str, obj) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def _scene(bodies: list, frame: int) -> dict:
    return dict(
        version=1.0, univTime=float(frame), fpsType='hd_29_97', bodies=bodies)


def write_release(root: str,
                  shared_data: str,
                  split: str = 'train',
                  referred_body: int = REFERRED_BODY,
                  small_mask: bool = False,
                  hidden_roots: Sequence[int] = (),
                  blank_current: bool = False,
                  with_calibration: bool = True,
                  with_images: bool = True,
                  label: Optional[str] = None) -> Dict[str, object]:
    """Write the tiny release under ``root`` (the ``Panoptic-L3D`` folder).

    Args:
        root (str): Output folder.
        shared_data (str): mmpose's sample data folder.
        split (str): The sentences file is ``sentences_<split>.json``.
        referred_body (int): Body id of the sentence. Default 1.
        small_mask (bool): Give the referred body a 40 x 40 px (1600 px)
            mask instead of its hull, so the sample is dropped.
        hidden_roots (Sequence[int]): Body ids whose root confidence is set
            to 0.05 at frame 165 (not people of the sample).
        blank_current (bool): Frame 165 one flat colour.
        with_calibration (bool): Write the calibration file.
        with_images (bool): Write the jpgs (the dataset alone reads none).
        label (str, optional): The sentence.

    Returns:
        dict: ``root``, ``bodies`` (the frame-165 bodies as written),
        ``camera`` (raw calibration entry), ``mask_path``, ``sentences``.
    """
    vid_dir = osp.join(root, 'panoptic', VIDEO)
    os.makedirs(vid_dir, exist_ok=True)
    calib = osp.join(shared_data, SOURCE, f'calibration_{VIDEO}.json')
    if with_calibration:
        shutil.copy(calib, osp.join(vid_dir, f'calibration_{VIDEO}.json'))
    cam = hd_camera(shared_data)
    bodies = source_bodies(shared_data)
    for b in bodies:
        if b['id'] in hidden_roots:
            j = np.asarray(b['joints19'], np.float64).reshape(-1, 4)
            j[2, 3] = 0.05
            b['joints19'] = j.reshape(-1).tolist()
    pose_dir = osp.join(vid_dir, 'hdPose3d_stage1_coco19')
    cc = f'00_{CAMERA:02d}'
    for frame in WINDOW:
        moved = []
        for b in bodies:
            if (frame, b['id']) == MISSING:
                continue
            j = np.asarray(b['joints19'], np.float64).reshape(-1, 4).copy()
            j[:, 0] += WINDOW_SHIFT_CM * (frame - FRAME)
            moved.append(dict(id=b['id'], joints19=j.reshape(-1).tolist()))
        if frame == REVERSED_FRAME:
            moved = moved[::-1]
        _write_json(
            osp.join(pose_dir, f'body3DScene_{frame:08d}.json'),
            _scene(moved, frame))
        if with_images:
            img_path = osp.join(vid_dir, 'hdImgs', cc, f'{cc}_{frame:08d}.jpg')
            os.makedirs(osp.dirname(img_path), exist_ok=True)
            cv2.imwrite(img_path,
                        _texture(frame, blank_current and frame == FRAME))

    # palette mask of frame 165: hull of each root-visible body's 2D
    index = np.zeros((HEIGHT, WIDTH), np.uint8)
    order = sorted(bodies, key=lambda b: b['id'] == referred_body)
    for b in order:
        j = np.asarray(b['joints19'], np.float64).reshape(-1, 4)[:15]
        if b['id'] == referred_body and small_mask:
            index[500:540, 900:940] = b['id'] + 1
            continue
        ok = j[:, 3] > 0.1
        uv = project_raw(j[ok, :3], cam)
        hull = cv2.convexHull(np.round(uv).astype(np.int32))
        cv2.fillPoly(index, [hull], int(b['id'] + 1))
    mask = Image.fromarray(index)  # mode L; putpalette makes it P
    palette = [0, 0, 0] + [
        int(v) for i in range(1, 256)
        for v in ((i * 67) % 256, (i * 131) % 256, (i * 29) % 256)
    ]
    mask.putpalette(palette)
    mask_path = osp.join(root, 'storage_mask', VIDEO, cc,
                         f'{cc}_{FRAME:08d}.png')
    os.makedirs(osp.dirname(mask_path), exist_ok=True)
    mask.save(mask_path)

    sentences = [
        dict(
            video_id=VIDEO,
            camera_id=CAMERA,
            begin_frame=BEGIN,
            end_frame=END,
            body_id=referred_body,
            category=[4],
            label=label or 'The person in the middle who is playing the '
            'guitar.')
    ]
    _write_json(osp.join(root, f'sentences_{split}.json'), sentences)
    return dict(
        root=root,
        bodies=bodies,
        camera=cam,
        mask_path=mask_path,
        sentences=sentences)
