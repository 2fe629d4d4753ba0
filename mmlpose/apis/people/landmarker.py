# Copyright (c) mmlpose contributors. All rights reserved.
"""33 BlazePose landmarks and a person mask in a rotated person ROI.

Runs MediaPipe's bundled ``pose_landmark_full.tflite`` with ``ai-edge-litert``
on one square crop per person, as MediaPipe's ``pose_landmark_by_roi`` graph
does: a 256x256 RGB crop in [0, 1] of the rotated ROI, 39 landmarks (33 body
landmarks and 2 auxiliary ones, 5 values each: x, y, z, visibility and
presence logits) refined by the 64x64 heatmap, a pose-presence score and a
256x256 segmentation. The auxiliary landmarks give the ROI of the next
frame, so that a person can be followed between detections.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmlpose.registry import TASK_UTILS
from ..pose2d import blazepose_to_h36m
from .detector import alignment_roi, build_interpreter, mediapipe_model_path


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x, -80, 80)))


def roi_crop_matrix(roi: np.ndarray, crop_size: int) -> np.ndarray:
    """``(2, 3)`` affine map from crop pixels to image pixels of a ROI.

    A crop pixel ``(u, v)`` (integer index, centre of the pixel) lands at
    ``c + S R(theta) ((u + 0.5) / n - 0.5, (v + 0.5) / n - 0.5) - 0.5`` in
    the image (index coordinates), with ``c``, ``S``, ``theta`` the ROI's
    centre, side and rotation and ``n = crop_size``: the matrix that
    ``cv2.warpAffine(..., flags=cv2.WARP_INVERSE_MAP)`` takes.

    Args:
        roi (np.ndarray): ``(5,)`` ``[cx, cy, w, h, rotation]`` pixels (of
            the continuous image plane, a pixel's centre at ``i + 0.5``) and
            radians.
        crop_size (int): Side of the square crop.
    """
    cx, cy, w, h, theta = (float(v) for v in roi)
    cos, sin = np.cos(theta), np.sin(theta)
    linear = np.array([[cos * w, -sin * h], [sin * w, cos * h]]) / crop_size
    # continuous: img = linear @ crop + t, t = c - linear @ (n/2, n/2)
    t = np.array([cx, cy]) - linear @ np.full(2, crop_size / 2)
    # index coordinates on both sides: shift by half a pixel
    t = t + linear @ np.full(2, 0.5) - 0.5
    return np.concatenate([linear, t[:, None]], axis=1)


@TASK_UTILS.register_module()
class BlazePoseLandmarker:
    """2D pose (33 BlazePose landmarks, H36M-17) and mask of one person ROI.

    Args:
        model_path (str, optional): A ``pose_landmark_*.tflite``; None takes
            ``pose_landmark_full.tflite`` inside mediapipe 0.10.21.
        presence_threshold (float): Minimum pose-presence score of a
            person. Defaults to 0.5.
        refine_with_heatmap (bool): Refine the landmarks with the heatmap
            (MediaPipe's ``RefineLandmarksFromHeatmapCalculator``, kernel 7).
            Defaults to True.
        mask_threshold (float): Segmentation probability of a mask pixel.
            Defaults to 0.5.
        box_margin (float): Margin around the landmarks that lie in the
            image, a fraction of their extent, within which the person box
            grows to hold the mask (above: at least twice the head size, for
            the skull and hair). Defaults to 0.1.
        with_mask (bool): Compute the person mask. Defaults to True.
        num_threads (int): Interpreter threads. Defaults to 1.

    Example:
        >>> landmarker = BlazePoseLandmarker()
        >>> people = landmarker(frame_bgr, detections['rois'])
        >>> people[0]['keypoints']  # (17, 2) H36M pixels
    """
    crop_size = 256
    num_landmarks = 33

    def __init__(self,
                 model_path: Optional[str] = None,
                 presence_threshold: float = 0.5,
                 refine_with_heatmap: bool = True,
                 mask_threshold: float = 0.5,
                 box_margin: float = 0.1,
                 with_mask: bool = True,
                 num_threads: int = 1) -> None:
        if not 0 < mask_threshold < 1:
            raise ValueError('mask_threshold must be in (0, 1), got '
                             f'{mask_threshold}')
        self.model_path = model_path or mediapipe_model_path(
            'modules/pose_landmark/pose_landmark_full.tflite')
        self.interpreter = build_interpreter(self.model_path, num_threads)
        self._input_index = self.interpreter.get_input_details()[0]['index']
        outputs = {
            tuple(d['shape'][1:]): d['index']
            for d in self.interpreter.get_output_details()
        }
        n = self.crop_size
        try:
            self._landmarks_index = outputs[(195, )]
            self._presence_index = outputs[(1, )]
            self._segmentation_index = outputs[(n, n, 1)]
            self._heatmap_index = outputs[(64, 64, 39)]
        except KeyError as e:
            raise ValueError(f'{self.model_path} is not a BlazePose landmark '
                             f'model: no output of shape {e}') from None
        self.presence_threshold = presence_threshold
        self.refine_with_heatmap = refine_with_heatmap
        self.mask_logit = float(np.log(mask_threshold / (1 - mask_threshold)))
        self.box_margin = box_margin
        self.with_mask = with_mask

    @staticmethod
    def _refine(landmarks: np.ndarray,
                heatmap: np.ndarray,
                kernel: int = 7,
                min_confidence: float = 0.5) -> np.ndarray:
        """Move each landmark (``(L, 2)`` crop-normalised) to the sigmoid-
        weighted mean of its ``kernel`` window of the ``(H, W, L)`` heatmap
        when the window's peak is at least ``min_confidence``."""
        hm_h, hm_w, num = heatmap.shape
        cols = (landmarks[:, 0] * hm_w).astype(int)
        rows = (landmarks[:, 1] * hm_h).astype(int)
        inside = (cols >= 0) & (cols < hm_w) & (rows >= 0) & (rows < hm_h)
        offsets = np.arange(kernel) - (kernel - 1) // 2
        win_r = rows[:, None] + offsets  # (L, k)
        win_c = cols[:, None] + offsets
        valid = (((win_r >= 0) & (win_r < hm_h))[:, :, None]
                 & ((win_c >= 0) & (win_c < hm_w))[:, None, :])
        conf = _sigmoid(heatmap[np.clip(win_r, 0, hm_h - 1)[:, :, None],
                                np.clip(win_c, 0, hm_w - 1)[:, None, :],
                                np.arange(num)[:, None, None]])
        conf = np.where(valid, conf, 0.)
        total = conf.sum(axis=(1, 2))
        refine = inside & (conf.max(axis=(1, 2)) >= min_confidence) & (
            total > 0)
        safe = np.maximum(total, 1e-12)
        mean_col = (conf * win_c[:, None, :]).sum(axis=(1, 2)) / safe
        mean_row = (conf * win_r[:, :, None]).sum(axis=(1, 2)) / safe
        out = landmarks.copy()
        out[:, 0] = np.where(refine, mean_col / hm_w, out[:, 0])
        out[:, 1] = np.where(refine, mean_row / hm_h, out[:, 1])
        return out

    def _boxes(self, landmarks: np.ndarray, presence: np.ndarray,
               image_shape: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
        """The core and the largest person box, xyxy in the image.

        The core box holds the landmarks that lie in the image (presence >
        0.5; all when fewer than 4 do). The largest box adds ``box_margin``
        times its extent on every side and twice the head size (largest
        nose-to-eye/ear/mouth distance) above (the skull and hair lie above
        the eyes): the mask is searched in it.
        """
        inside = presence > 0.5
        points = landmarks[inside] if inside.sum() >= 4 else landmarks
        lo, hi = points.min(axis=0), points.max(axis=0)
        margin = self.box_margin * max(hi[0] - lo[0], hi[1] - lo[1], 1.)
        head = np.linalg.norm(landmarks[1:11] - landmarks[0], axis=1).max()
        h, w = image_shape[:2]
        limit = np.array([w, h, w, h], np.float64)
        core = np.clip(np.concatenate([lo, hi]), 0, limit)
        largest = np.clip(
            np.array([
                lo[0] - margin, lo[1] - max(margin, 2 * head), hi[0] + margin,
                hi[1] + margin
            ]), 0, limit)
        return core, largest

    def _box_and_mask(self, segmentation: Optional[np.ndarray],
                      matrix: np.ndarray, core: np.ndarray,
                      largest: np.ndarray) -> tuple:
        """The person box (core box and mask pixels, inside the largest box)
        and ``(bool mask, (x0, y0))`` of its integer box.

        Without a segmentation (or an empty one) the box is the core box
        with the margin above and on the sides, halfway to the largest box.
        """
        x0, y0 = (int(v) for v in np.floor(largest[:2]))
        x1, y1 = (int(v) for v in np.ceil(largest[2:]))
        mask = None
        if segmentation is not None and x1 > x0 and y1 > y0:
            # crop -> box pixels: the crop -> image map, shifted by (x0, y0)
            to_box = matrix.copy()
            to_box[:, 2] -= (x0, y0)
            mask = cv2.warpAffine(
                segmentation,
                to_box, (x1 - x0, y1 - y0),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=-100.) > self.mask_logit
        if mask is None or not mask.any():
            box = (core + largest) / 2
            if mask is None:
                return box.astype(np.float32), None
        else:
            rows = np.flatnonzero(mask.any(axis=1))
            cols = np.flatnonzero(mask.any(axis=0))
            box = np.array([
                min(core[0], cols[0] + x0),
                min(core[1], rows[0] + y0),
                max(core[2], cols[-1] + 1 + x0),
                max(core[3], rows[-1] + 1 + y0)
            ], np.float64)
        bx0, by0 = (int(v) for v in np.floor(box[:2]))
        bx1, by1 = (int(v) for v in np.ceil(box[2:]))
        crop = mask[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0]
        return box.astype(np.float32), (np.ascontiguousarray(crop), (bx0, by0))

    def _run_one(self, image_bgr: np.ndarray,
                 roi: np.ndarray) -> Optional[Dict]:
        n = self.crop_size
        matrix = roi_crop_matrix(roi, n)
        # MediaPipe's ImageToTensorCalculator replicates the border
        crop = cv2.warpAffine(
            image_bgr,
            matrix, (n, n),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE)
        tensor = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(
            np.float32) * (1 / 255.)
        it = self.interpreter
        it.set_tensor(self._input_index, tensor[None])
        it.invoke()
        score = float(it.get_tensor(self._presence_index).ravel()[0])
        if not np.isfinite(score) or score < self.presence_threshold:
            return None
        raw = it.get_tensor(self._landmarks_index).reshape(39, 5)
        if not np.isfinite(raw).all():
            return None
        norm = raw[:, :2] / n
        if self.refine_with_heatmap:
            norm = self._refine(norm, it.get_tensor(self._heatmap_index)[0])
        # crop-normalised -> crop index -> image (index coordinates)
        points = norm * n - 0.5
        image_xy = points @ matrix[:, :2].T + matrix[:, 2]
        landmarks = np.concatenate(
            [image_xy[:33], _sigmoid(raw[:33, 3:4])], axis=1)
        keypoints, keypoint_scores = blazepose_to_h36m(landmarks)
        presence = _sigmoid(raw[:33, 4])
        core, largest = self._boxes(image_xy[:33], presence, image_bgr.shape)
        seg = (
            it.get_tensor(self._segmentation_index)[0, :, :, 0]
            if self.with_mask else None)
        box, mask = self._box_and_mask(seg, matrix, core, largest)
        # the auxiliary landmarks 33 (centre) and 34 (scale point) give the
        # ROI of the next frame, in the continuous plane like the ROIs
        next_roi = alignment_roi(image_xy[33] + 0.5, image_xy[34] + 0.5)
        result = dict(
            landmarks=landmarks.astype(np.float32),
            presence=presence.astype(np.float32),
            keypoints=keypoints,
            keypoint_scores=keypoint_scores,
            score=score,
            bbox=box,
            roi=np.asarray(roi, np.float32),
            next_roi=next_roi,
            mask=mask)
        return result

    def __call__(self, image_bgr: np.ndarray,
                 rois: np.ndarray) -> List[Optional[Dict]]:
        """Landmarks of the person in each ROI of a BGR image.

        Args:
            image_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR image.
            rois (np.ndarray): ``(N, 5)`` ROIs ``[cx, cy, w, h, rotation]``
                (pixels, radians), e.g. a detector's ``rois`` or a previous
                result's ``next_roi``.

        Returns:
            list[dict | None]: per ROI None (no pose: presence below the
            threshold) or a dict with ``landmarks`` ``(33, 3)`` (x, y pixels,
            visibility), ``presence`` ``(33,)`` (probability that a landmark
            lies in the image), ``keypoints`` ``(17, 2)`` H36M pixels,
            ``keypoint_scores`` ``(17,)``, ``score`` (pose presence),
            ``bbox`` ``(4,)`` xyxy around the landmarks and the mask,
            ``roi`` and ``next_roi`` ``(5,)``, and ``mask``: ``(bool (h, w)
            mask, (x0, y0))`` of the integer box, or None.
        """
        if (not isinstance(image_bgr, np.ndarray) or image_bgr.ndim != 3
                or image_bgr.shape[2] != 3 or image_bgr.size == 0):
            raise ValueError('expected an (H, W, 3) BGR image, got '
                             f'{getattr(image_bgr, "shape", type(image_bgr))}')
        rois = np.asarray(rois, np.float32).reshape(-1, 5)
        out = []
        for roi in rois:
            if not np.isfinite(roi).all() or roi[2] < 2 or roi[3] < 2:
                out.append(None)
                continue
            out.append(self._run_one(image_bgr, roi))
        return out
