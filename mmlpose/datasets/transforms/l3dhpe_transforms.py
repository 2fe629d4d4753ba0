# Copyright (c) mmlpose contributors. All rights reserved.
"""Pipeline of Panoptic-L3D samples (:class:`PanopticL3DDataset`): window
frames, palette masks, the VoxelPose-style aspect-preserving resize, the
VoxelPose / VirtualPose training targets and packing."""
import os.path as osp
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

from mmlpose.registry import TRANSFORMS
from mmlpose.structures.panoptic import PANOPTIC_ROOT
from ..panoptic_l3d_dataset import read_palette_mask

#: Largest summed |pixel - mean colour| (over BGR) of a frame flagged
#: invalid (nearly one colour), as the released loader.
FRAME_VALID_THRESHOLD = 20


def _read_image(path: str) -> np.ndarray:
    """``(H, W, 3)`` uint8 BGR, with a clear error for a missing file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Panoptic-L3D frame not found: {path}')
    img = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if img is None:
        raise ValueError(f'cannot decode image {path}')
    return img


def frame_is_valid(img: np.ndarray,
                   threshold: float = FRAME_VALID_THRESHOLD) -> bool:
    """False when a ``(H, W, 3)`` frame is nearly one colour (every pixel's
    summed channel distance to the mean colour is below ``threshold``)."""
    img = np.asarray(img, np.float32)
    dev = np.abs(img - img.reshape(-1, img.shape[-1]).mean(0)).sum(-1)
    return bool(dev.max() >= threshold)


def resize_affine(image_wh: Tuple[float, float],
                  input_wh: Tuple[int, int]) -> np.ndarray:
    """``(2, 3)`` original -> input affine of VoxelPose's ``get_scale`` +
    ``get_affine_transform`` (no rotation): the image is padded to the
    input's aspect ratio about its centre, then scaled uniformly.

    E.g. 1920 x 1080 -> 960 x 512: padded to 2025 x 1080, scale 960 / 2025,
    ``x' = s (x - 960) + 480``, ``y' = s (y - 540) + 256``.
    """
    w, h = float(image_wh[0]), float(image_wh[1])
    out_w, out_h = float(input_wh[0]), float(input_wh[1])
    if w / out_w < h / out_h:
        pad_w = h / out_h * out_w
    else:
        pad_w = w
    s = out_w / pad_w
    return np.array(
        [[s, 0., out_w / 2 - s * w / 2], [0., s, out_h / 2 - s * h / 2]],
        np.float64)


def apply_affine(points: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """``(..., 2)`` points through a ``(2, 3)`` affine (NaN stays NaN)."""
    points = np.asarray(points, np.float64)
    return points @ trans[:, :2].T + trans[:, 2]


def _inside(points: np.ndarray, wh: Tuple[int, int]) -> np.ndarray:
    """``(...)`` bool: finite and in ``[0, w) x [0, h)`` (released rule)."""
    with np.errstate(invalid='ignore'):
        return (np.isfinite(points).all(-1) & (points[..., 0] >= 0) &
                (points[..., 1] >= 0) & (points[..., 0] < wh[0]) &
                (points[..., 1] < wh[1]))


@TRANSFORMS.register_module()
class LoadL3DFrames(BaseTransform):
    """Load a sample's frames.

    Required keys: ``img_paths`` (window) and ``current_idx``, or
    ``img_path``. Added keys: ``imgs`` (list of ``(H, W, 3)`` uint8 BGR: the
    window, or only the current frame with ``window=False``), ``img`` (the
    current frame), ``input_current_idx`` (its index in ``imgs``),
    ``frame_valid`` (False when the current frame is nearly one colour),
    ``img_shape`` / ``ori_shape`` ``(h, w)``.

    Args:
        window (bool): Load all window frames. Default True.
    """

    def __init__(self, window: bool = True):
        self.window = window

    def transform(self, results: dict) -> dict:
        if self.window and 'img_paths' in results:
            paths = list(results['img_paths'])
            cur = int(results.get('current_idx', 0))
            if not 0 <= cur < len(paths):
                raise ValueError(f'current_idx {cur} outside the window of '
                                 f'{len(paths)} frames')
        elif 'img_path' in results:
            paths, cur = [results['img_path']], 0
        else:
            raise KeyError('LoadL3DFrames needs "img_paths" or "img_path"')
        imgs = [_read_image(p) for p in paths]
        shape = imgs[cur].shape[:2]
        for p, img in zip(paths, imgs):
            if img.shape[:2] != shape:
                raise ValueError(f'{p} is {img.shape[1]}x{img.shape[0]}, the '
                                 f'current frame {shape[1]}x{shape[0]}')
        results['imgs'] = imgs
        results['img'] = imgs[cur]
        results['input_current_idx'] = cur
        results['frame_valid'] = frame_is_valid(imgs[cur])
        results['img_shape'] = shape
        results['ori_shape'] = shape
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(window={self.window})'


@TRANSFORMS.register_module()
class LoadReferMask(BaseTransform):
    """Load the current frame's palette mask (index = body id + 1).

    Required keys: ``mask_path``, ``body_ids`` (P,), ``referred_body_id``.
    Added keys: ``gt_masks`` (P, H, W) bool (every person of the sample)
    and ``gt_mask`` (H, W) bool (the referred person).
    """

    def transform(self, results: dict) -> dict:
        index = read_palette_mask(results['mask_path'])
        ids = np.asarray(results['body_ids'], np.int64).reshape(-1)
        results['gt_masks'] = index[None] == (ids[:, None, None] + 1)
        results['gt_mask'] = index == int(results['referred_body_id']) + 1
        return results


@TRANSFORMS.register_module()
class ResizeL3D(BaseTransform):
    """Aspect-preserving resize to the network input (VoxelPose's affine
    about the image centre, black padding).

    Warps ``imgs`` / ``img`` (bilinear) and ``gt_masks`` / ``gt_mask``
    (nearest) when present; maps ``keypoints_2d`` (P, 15, 2) and
    ``window_keypoints_2d`` (P, W, 15, 2) into new keys
    ``input_keypoints_2d`` / ``input_window_keypoints_2d`` (the original-
    pixel keys stay), with ``input_keypoints_2d_visible`` /
    ``input_window_visible`` False outside the input. Adds ``trans``
    (2, 3) original -> input, ``input_size`` ``(w, h)`` and sets
    ``img_shape`` to ``(h, w)`` of the input.

    Args:
        input_size (tuple): ``(w, h)``. Default ``(960, 512)``.
    """

    def __init__(self, input_size: Tuple[int, int] = (960, 512)):
        if len(input_size) != 2 or min(input_size) <= 0:
            raise ValueError(f'input_size must be (w, h) > 0, got '
                             f'{input_size}')
        self.input_size = (int(input_size[0]), int(input_size[1]))

    def transform(self, results: dict) -> dict:
        if 'img' in results:
            h, w = results['img'].shape[:2]
        else:
            h, w = results.get('ori_shape', results.get('img_shape'))
        trans = resize_affine((w, h), self.input_size)
        size = self.input_size
        warp = cv2.warpAffine
        if 'imgs' in results:
            results['imgs'] = [
                warp(im, trans, size, flags=cv2.INTER_LINEAR)
                for im in results['imgs']
            ]
            cur = int(results.get('input_current_idx', 0))
            results['img'] = results['imgs'][cur]
        elif 'img' in results:
            results['img'] = warp(
                results['img'], trans, size, flags=cv2.INTER_LINEAR)
        if 'gt_masks' in results:
            masks = np.asarray(results['gt_masks'])
            out = np.zeros((len(masks), size[1], size[0]), bool)
            for i, m in enumerate(masks):
                out[i] = warp(
                    m.astype(np.uint8), trans, size,
                    flags=cv2.INTER_NEAREST) > 0
            results['gt_masks'] = out
        if 'gt_mask' in results:
            results['gt_mask'] = warp(
                np.asarray(results['gt_mask'], np.uint8),
                trans,
                size,
                flags=cv2.INTER_NEAREST) > 0
        if 'keypoints_2d' in results:
            kp = apply_affine(results['keypoints_2d'], trans)
            vis = np.asarray(
                results.get('keypoints_2d_visible',
                            np.ones(kp.shape[:-1], bool)), bool)
            results['input_keypoints_2d'] = kp.astype(np.float32)
            results['input_keypoints_2d_visible'] = vis & _inside(kp, size)
        if 'window_keypoints_2d' in results:
            kp = apply_affine(results['window_keypoints_2d'], trans)
            vis = np.asarray(
                results.get('window_visible', np.ones(kp.shape[:-1], bool)),
                bool)
            results['input_window_keypoints_2d'] = kp.astype(np.float32)
            results['input_window_visible'] = vis & _inside(kp, size)
        results['trans'] = trans
        results['input_size'] = size
        results['img_shape'] = (size[1], size[0])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(input_size={self.input_size})'


def _splat_gaussian(heatmap: np.ndarray, x: int, y: int, sigma: float) -> None:
    """Max-merge an unnormalised Gaussian (peak 1 at ``(x, y)``, cut at
    3 sigma) into a ``(H, W)`` heatmap, in place."""
    H, W = heatmap.shape
    r = int(np.ceil(3 * sigma))
    x0, x1, y0, y1 = max(0, x - r), min(W, x + r + 1), max(0, y - r), \
        min(H, y + r + 1)
    if x0 >= x1 or y0 >= y1:
        return
    gx = np.arange(x0, x1) - x
    gy = np.arange(y0, y1) - y
    g = np.exp(-(gx[None]**2 + gy[:, None]**2) / (2 * sigma**2))
    np.maximum(heatmap[y0:y1, x0:x1], g, out=heatmap[y0:y1, x0:x1])


@TRANSFORMS.register_module()
class GenerateVoxelPoseTargets(BaseTransform):
    """VoxelPose / VirtualPose training targets (CenterNet style) on the
    input's heatmap grid.

    Required keys: ``input_keypoints_2d`` (P, 15, 2),
    ``input_keypoints_2d_visible`` (P, 15), ``input_size`` (from
    :class:`ResizeL3D`) and ``keypoints_3d_cam`` (P, 15, 3) mm. Added keys
    (heatmap pixel = input pixel / stride, ``floor``):

    - ``heatmaps`` (15, H_hm, W_hm) float32: per joint, a Gaussian of
      ``sigma`` heatmap px at each person's visible in-input joint, max
      over people; ``root_heatmap`` (1, H_hm, W_hm) the same at roots.
    - per person, padded to ``max_people``: ``root_ind`` int64 (flat index
      ``y * W_hm + x`` of the root), ``root_depth`` float32 (camera-frame
      root depth, metres), ``box_wh`` (max_people, 2) float32 (width /
      height in heatmap px of the person's visible 2D, clipped to the
      input) and ``reg_mask`` float32 (1 for people whose root is in the
      input).

    Args:
        heatmap_size (tuple): ``(W_hm, H_hm)``. Default ``(240, 128)``.
        sigma (float): Gaussian sigma, heatmap px. Default 2.
        max_people (int): Padding of the per-person targets. Default 10.
        root_index (int): Default 2 (BodyCenter).
    """

    def __init__(self,
                 heatmap_size: Tuple[int, int] = (240, 128),
                 sigma: float = 2.,
                 max_people: int = 10,
                 root_index: int = PANOPTIC_ROOT):
        if len(heatmap_size) != 2 or min(heatmap_size) <= 0:
            raise ValueError(f'heatmap_size must be (w, h) > 0, got '
                             f'{heatmap_size}')
        if sigma <= 0:
            raise ValueError(f'sigma must be > 0, got {sigma}')
        self.heatmap_size = (int(heatmap_size[0]), int(heatmap_size[1]))
        self.sigma = float(sigma)
        self.max_people = int(max_people)
        self.root_index = int(root_index)

    def transform(self, results: dict) -> dict:
        for key in ('input_keypoints_2d', 'input_size', 'keypoints_3d_cam'):
            if key not in results:
                raise KeyError(f'GenerateVoxelPoseTargets needs "{key}" '
                               '(put ResizeL3D before it)')
        kp = np.asarray(results['input_keypoints_2d'], np.float64)
        P, J = kp.shape[:2]
        vis = np.asarray(
            results.get('input_keypoints_2d_visible', np.ones((P, J), bool)),
            bool)
        if P > self.max_people:
            raise ValueError(f'{P} people exceed max_people='
                             f'{self.max_people}')
        Wh, Hh = self.heatmap_size
        in_w, in_h = results['input_size']
        stride = np.array([in_w / Wh, in_h / Hh])
        cells = np.floor(np.where(np.isfinite(kp), kp, -1.) / stride)
        cells = cells.astype(np.int64)
        heatmaps = np.zeros((J, Hh, Wh), np.float32)
        root_hm = np.zeros((1, Hh, Wh), np.float32)
        n = self.max_people
        root_ind = np.zeros(n, np.int64)
        root_depth = np.zeros(n, np.float32)
        box_wh = np.zeros((n, 2), np.float32)
        reg_mask = np.zeros(n, np.float32)
        cam = np.asarray(results['keypoints_3d_cam'], np.float64)
        r = self.root_index
        for p in range(P):
            for j in np.flatnonzero(vis[p]):
                _splat_gaussian(heatmaps[j], int(cells[p, j, 0]),
                                int(cells[p, j, 1]), self.sigma)
            if vis[p].any():
                pts = np.clip(kp[p, vis[p]], 0, [in_w, in_h])
                box_wh[p] = (pts.max(0) - pts.min(0)) / stride
            root_depth[p] = cam[p, r, 2] / 1000.
            cx, cy = int(cells[p, r, 0]), int(cells[p, r, 1])
            if vis[p, r] and 0 <= cx < Wh and 0 <= cy < Hh:
                reg_mask[p] = 1.
                root_ind[p] = cy * Wh + cx
                _splat_gaussian(root_hm[0], cx, cy, self.sigma)
        results.update(
            heatmaps=heatmaps,
            root_heatmap=root_hm,
            root_ind=root_ind,
            root_depth=root_depth,
            box_wh=box_wh,
            reg_mask=reg_mask,
            heatmap_size=self.heatmap_size)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(heatmap_size={self.heatmap_size}, '
                f'sigma={self.sigma}, max_people={self.max_people})')


#: Per-person keys of the results -> ``gt_instances`` fields.
INSTANCE_KEYS = {
    'keypoints_3d': 'keypoints_3d',
    'keypoints_3d_visible': 'keypoints_3d_visible',
    'keypoints_3d_cam': 'keypoints_3d_cam',
    'keypoints_2d': 'keypoints_2d',
    'keypoints_2d_visible': 'keypoints_2d_visible',
    'input_keypoints_2d': 'input_keypoints_2d',
    'input_keypoints_2d_visible': 'input_keypoints_2d_visible',
    'body_ids': 'body_ids',
    'window_keypoints_3d': 'window_keypoints_3d',
    'window_keypoints_2d': 'window_keypoints_2d',
    'window_visible': 'window_visible',
    'input_window_keypoints_2d': 'input_window_keypoints_2d',
    'input_window_visible': 'input_window_visible',
    'gt_masks': 'masks',
}
FIELD_KEYS = ('heatmaps', 'root_heatmap')
LABEL_KEYS = ('root_ind', 'root_depth', 'box_wh', 'reg_mask')
META_KEYS = ('text', 'category', 'category_name', 'referred_index',
             'referred_body_id', 'video_id', 'camera_id', 'frame_id',
             'frame_ids', 'current_idx', 'input_current_idx', 'begin_frame',
             'end_frame', 'camera', 'trans', 'input_size', 'heatmap_size',
             'ori_shape', 'img_shape', 'img_path', 'img_paths', 'mask_path',
             'sample_idx', 'frame_valid', 'num_people')
EXTRA_KEYS = ('det_keypoints_2d', 'det_keypoint_scores', 'det_gt_index',
              'det_colours')


@TRANSFORMS.register_module()
class PackL3DInputs(BaseTransform):
    """Pack a Panoptic-L3D sample.

    ``inputs``: uint8 tensor (F, 3, H, W) of ``imgs`` (or ``img``, F = 1),
    BGR as loaded. ``data_samples``: a :class:`PoseDataSample` with the
    ``meta_keys`` present in the results (plus ``num_people``) as metainfo,
    the ``extra_keys`` present set on metainfo unchanged, ``gt_instances``
    (length P: the 3D / 2D / window keypoints, ``body_ids``, ``masks``
    (P, H, W) bool when loaded), and the voxelpose targets when present:
    ``gt_fields`` (``heatmaps``, ``root_heatmap`` tensors) and
    ``gt_instance_labels`` (length ``max_people``: ``root_ind``,
    ``root_depth``, ``box_wh``, ``reg_mask`` tensors).

    Args:
        meta_keys (Sequence[str]): Default :data:`META_KEYS`.
        extra_keys (Sequence[str]): Default the simulated detections'
            keys (:data:`EXTRA_KEYS`).
    """

    def __init__(self,
                 meta_keys: Sequence[str] = META_KEYS,
                 extra_keys: Sequence[str] = EXTRA_KEYS):
        self.meta_keys = tuple(meta_keys)
        self.extra_keys = tuple(extra_keys)

    @staticmethod
    def _inputs(results: dict) -> torch.Tensor:
        imgs = results.get('imgs')
        if imgs is None:
            if 'img' not in results:
                raise KeyError('PackL3DInputs needs "imgs" or "img" (put '
                               'LoadL3DFrames first)')
            imgs = [results['img']]
        arr = np.stack([np.asarray(im) for im in imgs])
        if arr.ndim != 4 or arr.shape[-1] != 3:
            raise ValueError(f'frames must be (H, W, 3), got '
                             f'{arr.shape[1:]}')
        return torch.from_numpy(
            np.ascontiguousarray(arr.transpose(0, 3, 1, 2))).to(torch.uint8)

    def transform(self, results: dict) -> dict:
        sample = PoseDataSample()
        meta: Dict[str, object] = {}
        if 'body_ids' in results:
            results['num_people'] = len(results['body_ids'])
        for key in self.meta_keys + self.extra_keys:
            if key in results:
                meta[key] = results[key]
        sample.set_metainfo(meta)
        inst = InstanceData()
        for key, name in INSTANCE_KEYS.items():
            if key in results:
                inst.set_field(np.asarray(results[key]), name)
        sample.gt_instances = inst
        if any(k in results for k in FIELD_KEYS):
            fields = PixelData()
            for key in FIELD_KEYS:
                if key in results:
                    fields.set_field(torch.from_numpy(results[key]), key)
            sample.gt_fields = fields
        if any(k in results for k in LABEL_KEYS):
            labels = InstanceData()
            for key in LABEL_KEYS:
                if key in results:
                    labels.set_field(torch.from_numpy(results[key]), key)
            sample.gt_instance_labels = labels
        return dict(inputs=self._inputs(results), data_samples=sample)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(meta_keys={self.meta_keys}, '
                f'extra_keys={self.extra_keys})')
