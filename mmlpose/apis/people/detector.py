# Copyright (c) mmlpose contributors. All rights reserved.
"""Several people per image with MediaPipe's bundled BlazePose detector.

``pose_detection.tflite`` (shipped inside ``mediapipe==0.10.21``) is an SSD
detector run here by the ``ai-edge-litert`` TFLite runtime, without the
MediaPipe graph: a 224x224 RGB input in [-1, 1] (letterboxed), 2254 anchors
with 12 regressors each (box centre and size, then 4 keypoints: hip centre,
full-body scale point, shoulder centre, upper-body scale point) and 2254
score logits. The anchors, the decoding, the weighted NMS and the person ROI
follow MediaPipe's ``pose_detection_cpu`` and ``pose_detection_to_roi``
graphs. A wide frame is cut into overlapping square tiles so that people a
quarter of the frame's height are still large enough for the 224 input.
"""
import importlib.util
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmlpose.registry import TASK_UTILS

LITERT_HINT = ('ai-edge-litert is not installed: pip install '
               'ai-edge-litert==2.3.0 (see requirements/optional.txt)')

# xyxy boxes (N, 4), scores (N,) and keypoints (N, 4, 2)
Detections = Tuple[np.ndarray, np.ndarray, np.ndarray]

# MediaPipe's SsdAnchorsCalculatorOptions of the pose detection graph.
POSE_ANCHOR_OPTIONS = dict(
    num_layers=5,
    min_scale=0.1484375,
    max_scale=0.75,
    input_size=(224, 224),
    anchor_offset=(0.5, 0.5),
    strides=(8, 16, 32, 32, 32),
    aspect_ratios=(1.0, ),
    interpolated_scale_aspect_ratio=1.0,
    reduce_boxes_in_lowest_layer=False,
    fixed_anchor_size=True)

# Scale of the person ROI around the hip centre (RectTransformation of
# pose_detection_to_roi and pose_landmarks_to_roi): the side of the square
# crop is 2 * 1.25 times the distance of the two alignment points.
ROI_SCALE = 1.25


def mediapipe_model_path(relative: str) -> str:
    """Path of a model file bundled in the installed ``mediapipe`` package.

    The package is located without importing it (its import is slow and
    pulls in its graph runtime).

    Args:
        relative (str): Path inside the package, e.g.
            ``'modules/pose_detection/pose_detection.tflite'``.

    Raises:
        ImportError: If mediapipe is not installed.
        FileNotFoundError: If the file is not in the installed version.
    """
    spec = importlib.util.find_spec('mediapipe')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('mediapipe is not installed: pip install '
                          'mediapipe==0.10.21 --no-deps (it bundles the '
                          'BlazePose .tflite models)')
    path = osp.join(list(spec.submodule_search_locations)[0], relative)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{relative} is not in the installed '
                                'mediapipe (only 0.10.21 bundles it)')
    return path


def build_interpreter(model_path: str, num_threads: int = 1):
    """A ready ``ai_edge_litert`` TFLite interpreter of ``model_path``.

    Raises:
        ImportError: If ai-edge-litert is not installed.
        FileNotFoundError: If ``model_path`` does not exist.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise ImportError(LITERT_HINT) from e
    if not osp.isfile(model_path):
        raise FileNotFoundError(f'no TFLite model at {model_path}')
    interpreter = Interpreter(
        model_path=model_path, num_threads=max(int(num_threads), 1))
    interpreter.allocate_tensors()
    return interpreter


def _anchor_scale(min_scale: float, max_scale: float, index: int,
                  num: int) -> float:
    if num == 1:
        return (min_scale + max_scale) / 2
    return min_scale + (max_scale - min_scale) * index / (num - 1)


def generate_ssd_anchors(num_layers: int,
                         min_scale: float,
                         max_scale: float,
                         input_size: Tuple[int, int],
                         strides: Sequence[int],
                         anchor_offset: Tuple[float, float] = (0.5, 0.5),
                         aspect_ratios: Sequence[float] = (1.0, ),
                         interpolated_scale_aspect_ratio: float = 1.0,
                         reduce_boxes_in_lowest_layer: bool = False,
                         fixed_anchor_size: bool = True) -> np.ndarray:
    """SSD anchors as MediaPipe's ``SsdAnchorsCalculator`` lays them out.

    Consecutive layers of the same stride share one feature map: each of its
    cells holds the anchors of all those layers (one per aspect ratio plus an
    interpolated one per layer), cells in row-major order.

    Args:
        num_layers (int): Number of layers (= ``len(strides)``).
        min_scale (float): Scale of the first layer.
        max_scale (float): Scale of the last layer.
        input_size (tuple[int, int]): Model input ``(height, width)``.
        strides (Sequence[int]): Stride of each layer.
        anchor_offset (tuple[float, float]): ``(x, y)`` offset of an anchor
            centre in its cell. Defaults to ``(0.5, 0.5)``.
        aspect_ratios (Sequence[float]): Width / height ratios.
        interpolated_scale_aspect_ratio (float): Aspect ratio of the extra
            anchor at the geometric mean of this and the next scale; 0 for
            none. Defaults to 1.0.
        reduce_boxes_in_lowest_layer (bool): 3 fixed anchors on layer 0.
        fixed_anchor_size (bool): All anchors of size 1 (only their centres
            matter). Defaults to True.

    Returns:
        np.ndarray: ``(N, 4)`` float32 anchors ``[x_center, y_center, w, h]``
        normalised to the input.
    """
    if len(strides) != num_layers:
        raise ValueError(f'{num_layers} layers need {num_layers} strides, '
                         f'got {len(strides)}')
    height, width = input_size
    anchors: List[np.ndarray] = []
    layer = 0
    while layer < num_layers:
        sizes: List[Tuple[float, float]] = []
        last = layer
        while last < num_layers and strides[last] == strides[layer]:
            scale = _anchor_scale(min_scale, max_scale, last, num_layers)
            if last == 0 and reduce_boxes_in_lowest_layer:
                ratio_scales = [(1.0, 0.1), (2.0, scale), (0.5, scale)]
            else:
                ratio_scales = [(r, scale) for r in aspect_ratios]
                if interpolated_scale_aspect_ratio > 0:
                    is_last = last == num_layers - 1
                    nxt = 1.0 if is_last else _anchor_scale(
                        min_scale, max_scale, last + 1, num_layers)
                    ratio_scales.append((interpolated_scale_aspect_ratio,
                                         float(np.sqrt(scale * nxt))))
            sizes += [(s * np.sqrt(r), s / np.sqrt(r))
                      for r, s in ratio_scales]
            last += 1
        stride = strides[layer]
        rows = int(np.ceil(height / stride))
        cols = int(np.ceil(width / stride))
        ys, xs = np.meshgrid(
            (np.arange(rows) + anchor_offset[1]) / rows,
            (np.arange(cols) + anchor_offset[0]) / cols,
            indexing='ij')
        wh = np.asarray(sizes, np.float64)
        if fixed_anchor_size:
            wh = np.ones_like(wh)
        centres = np.repeat(
            np.stack([xs.ravel(), ys.ravel()], axis=1), len(sizes), axis=0)
        anchors.append(
            np.concatenate([centres, np.tile(wh, (rows * cols, 1))], axis=1))
        layer = last
    return np.concatenate(anchors).astype(np.float32)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """``(N, M)`` IoU of ``(N, 4)`` and ``(M, 4)`` xyxy boxes."""
    a = np.asarray(boxes_a, np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(axis=1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(axis=1)
    union = area_a[:, None] + area_b[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.)


def weighted_nms(boxes: np.ndarray,
                 scores: np.ndarray,
                 extras: np.ndarray,
                 iou_threshold: float,
                 max_detections: Optional[int] = None) -> Detections:
    """MediaPipe's weighted non-maximum suppression.

    The best remaining detection and all others overlapping it by more than
    ``iou_threshold`` are merged into one: boxes and ``extras`` (keypoints)
    averaged with the scores as weights, keeping the best score.

    Args:
        boxes (np.ndarray): ``(N, 4)`` xyxy boxes.
        scores (np.ndarray): ``(N,)`` scores.
        extras (np.ndarray): ``(N, ...)`` values averaged like the boxes.
        iou_threshold (float): Overlap above which detections merge.
        max_detections (int, optional): Keep at most this many.

    Returns:
        tuple: the merged ``(M, 4)`` boxes, ``(M,)`` scores and
        ``(M, ...)`` extras, best first.
    """
    order = np.argsort(-scores, kind='stable')
    boxes, scores, extras = boxes[order], scores[order], extras[order]
    remaining = np.ones(len(boxes), bool)
    out_boxes, out_scores, out_extras = [], [], []
    iou = box_iou(boxes, boxes)
    for i in range(len(boxes)):
        if not remaining[i]:
            continue
        group = remaining & (iou[i] > iou_threshold)
        group[i] = True
        weights = scores[group][:, None]
        out_boxes.append((boxes[group] * weights).sum(0) / weights.sum())
        flat = extras[group].reshape(group.sum(), -1)
        out_extras.append(((flat * weights).sum(0) / weights.sum()).reshape(
            extras.shape[1:]))
        out_scores.append(scores[i])
        remaining &= ~group
        if max_detections is not None and len(out_boxes) >= max_detections:
            break
    if not out_boxes:
        return (np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                np.zeros((0, ) + extras.shape[1:], np.float32))
    return (np.asarray(out_boxes,
                       np.float32), np.asarray(out_scores, np.float32),
            np.asarray(out_extras, np.float32))


def alignment_roi(centre: np.ndarray,
                  scale_point: np.ndarray,
                  scale: float = ROI_SCALE) -> np.ndarray:
    """Person ROI from two alignment points (MediaPipe's
    ``AlignmentPointsRectsCalculator`` + ``RectTransformationCalculator``).

    The square is centred on ``centre`` (the hip centre), its side is
    ``2 * scale`` times the distance of the points, and it is rotated so that
    ``centre -> scale_point`` points up (90 degrees in image axes).

    Args:
        centre (np.ndarray): ``(..., 2)`` pixels.
        scale_point (np.ndarray): ``(..., 2)`` pixels.
        scale (float): Enlargement of the square. Defaults to 1.25.

    Returns:
        np.ndarray: ``(..., 5)`` float32 ROIs ``[cx, cy, w, h, rotation]``:
        pixels and radians in [-pi, pi) (positive turns the crop's up
        direction towards the image's right).
    """
    centre = np.asarray(centre, np.float64)
    delta = np.asarray(scale_point, np.float64) - centre
    side = 2 * scale * np.linalg.norm(delta, axis=-1)
    rotation = np.pi / 2 - np.arctan2(-delta[..., 1], delta[..., 0])
    rotation = (rotation + np.pi) % (2 * np.pi) - np.pi
    return np.stack([centre[..., 0], centre[..., 1], side, side, rotation],
                    axis=-1).astype(np.float32)


def roi_to_box(rois: np.ndarray) -> np.ndarray:
    """``(N, 4)`` xyxy axis-aligned boxes around ``(N, 5)`` rotated ROIs."""
    rois = np.asarray(rois, np.float64).reshape(-1, 5)
    cos, sin = np.abs(np.cos(rois[:, 4])), np.abs(np.sin(rois[:, 4]))
    half_w = (rois[:, 2] * cos + rois[:, 3] * sin) / 2
    half_h = (rois[:, 2] * sin + rois[:, 3] * cos) / 2
    centre = rois[:, :2]
    half = np.stack([half_w, half_h], axis=1)
    return np.concatenate([centre - half, centre + half],
                          axis=1).astype(np.float32)


def square_tiles(height: int,
                 width: int,
                 num_tiles: Union[int, str] = 'auto',
                 min_overlap: float = 0.2) -> np.ndarray:
    """Overlapping square tiles along the long side of an image.

    Args:
        height (int): Image height.
        width (int): Image width.
        num_tiles (int | str): Tiles along the long side; ``'auto'`` takes
            one for an aspect ratio under 1.5 (letterboxing shrinks it by at
            most 1.5) and else the fewest whose overlap is at least
            ``min_overlap`` of a tile (2 for 16:9). Defaults to 'auto'.
        min_overlap (float): Overlap fraction for ``'auto'``.

    Returns:
        np.ndarray: ``(n, 4)`` int tiles ``[x0, y0, x1, y1]``.
    """
    short, long = min(height, width), max(height, width)
    if num_tiles == 'auto':
        step = short * (1 - min_overlap)
        num_tiles = 1 if long < 1.5 * short else int(
            np.ceil((long - short) / step - 1e-6)) + 1
    num_tiles = int(num_tiles)
    if num_tiles < 1:
        raise ValueError(f'num_tiles must be >= 1, got {num_tiles}')
    if num_tiles == 1 or long == short:
        return np.array([[0, 0, width, height]])
    starts = np.round(np.linspace(0, long - short, num_tiles)).astype(int)
    if width >= height:
        return np.array([[s, 0, s + short, height] for s in starts])
    return np.array([[0, s, width, s + short] for s in starts])


@TASK_UTILS.register_module()
class BlazePoseDetector:
    """Multi-person detector on MediaPipe's bundled BlazePose detector.

    Args:
        model_path (str, optional): A ``pose_detection.tflite``; None takes
            the one inside the installed mediapipe 0.10.21.
        score_threshold (float): Minimum sigmoid score. Defaults to 0.5.
        nms_threshold (float): IoU of the detector's (face/upper-body) boxes
            above which two detections merge. Defaults to 0.3.
        max_detections (int): Keep at most this many people. Defaults to 20.
        num_tiles (int | str): Overlapping square tiles along the frame's
            long side (see :func:`square_tiles`); 1 runs the letterboxed
            full frame only. Defaults to 'auto'.
        full_frame (bool): Also run the letterboxed full frame when tiling
            (finds people taller than a tile). Defaults to False.
        num_threads (int): Interpreter threads. Defaults to 1.

    Example:
        >>> detector = BlazePoseDetector()
        >>> det = detector(frame_bgr)
        >>> det['boxes'], det['scores'], det['keypoints'], det['rois']
    """
    input_size = 224
    num_keypoints = 4

    def __init__(self,
                 model_path: Optional[str] = None,
                 score_threshold: float = 0.5,
                 nms_threshold: float = 0.3,
                 max_detections: int = 20,
                 num_tiles: Union[int, str] = 'auto',
                 full_frame: bool = False,
                 num_threads: int = 1) -> None:
        if not 0 <= score_threshold <= 1:
            raise ValueError('score_threshold must be in [0, 1], got '
                             f'{score_threshold}')
        self.model_path = model_path or mediapipe_model_path(
            'modules/pose_detection/pose_detection.tflite')
        self.interpreter = build_interpreter(self.model_path, num_threads)
        inputs = self.interpreter.get_input_details()
        outputs = self.interpreter.get_output_details()
        self._input_index = inputs[0]['index']
        by_size = sorted(outputs, key=lambda d: int(d['shape'][-1]))
        self._score_index, self._box_index = (by_size[0]['index'],
                                              by_size[-1]['index'])
        self.anchors = generate_ssd_anchors(**POSE_ANCHOR_OPTIONS)
        if tuple(by_size[-1]['shape'][1:]) != (len(self.anchors), 12):
            raise ValueError(f'{self.model_path} is not the BlazePose '
                             'detector: expected (1, 2254, 12) boxes')
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.max_detections = max_detections
        self.num_tiles = num_tiles
        self.full_frame = full_frame

    def _letterbox(self, image_bgr: np.ndarray) -> tuple:
        """Fit a BGR image in the square RGB input in [-1, 1] (letterbox
        zero): the tensor, the scale and the ``(x, y)`` padding."""
        size = self.input_size
        h, w = image_bgr.shape[:2]
        scale = size / max(h, w)
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
        resized = cv2.cvtColor(
            cv2.resize(
                image_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA),
            cv2.COLOR_BGR2RGB)
        pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
        tensor = np.zeros((size, size, 3), np.float32)
        tensor[pad_y:pad_y + new_h,
               pad_x:pad_x + new_w] = resized * (2 / 255.) - 1.
        return tensor, scale, (pad_x, pad_y)

    def _detect_square(self, image_bgr: np.ndarray,
                       offset: Tuple[int, int]) -> Detections:
        """Raw detections of one tile: xyxy boxes, scores, keypoints."""
        tensor, scale, (pad_x, pad_y) = self._letterbox(image_bgr)
        self.interpreter.set_tensor(self._input_index, tensor[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self._box_index)[0]
        logits = self.interpreter.get_tensor(self._score_index)[0, :, 0]
        # MediaPipe clips the logits to +-100 (in float64: no overflow)
        logits = np.clip(logits.astype(np.float64), -100, 100)
        scores = 1 / (1 + np.exp(-logits))
        keep = scores >= self.score_threshold
        if not keep.any():
            return (np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                    np.zeros((0, 4, 2), np.float32))
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        size = float(self.input_size)
        # regressors are in input pixels relative to the anchor centre
        centre = raw[:, :2] / size * anchors[:, 2:] + anchors[:, :2]
        half = raw[:, 2:4] / size * anchors[:, 2:] / 2
        points = (
            raw[:, 4:12].reshape(-1, 4, 2) / size * anchors[:, None, 2:] +
            anchors[:, None, :2])

        def to_image(xy):
            xy = (xy * size - np.array([pad_x, pad_y])) / scale
            return xy + np.asarray(offset, np.float64)

        boxes = np.concatenate(
            [to_image(centre - half),
             to_image(centre + half)], axis=1)
        return (boxes.astype(np.float32), scores.astype(np.float32),
                to_image(points).astype(np.float32))

    def __call__(self, image_bgr: np.ndarray) -> Dict[str, np.ndarray]:
        """Detect every person of a BGR image.

        Args:
            image_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR image.

        Returns:
            dict: ``boxes`` ``(N, 4)`` float32 xyxy whole-body boxes (the
            square bounding the circle through keypoint 1 around the hip
            centre), ``scores`` ``(N,)``, ``keypoints`` ``(N, 4, 2)`` pixels
            (hip centre, full-body scale point, shoulder centre, upper-body
            scale point), ``rois`` ``(N, 5)`` the landmark model's crops
            ``[cx, cy, w, h, rotation]`` and ``det_boxes`` ``(N, 4)`` the
            detector's own (face/upper-body) boxes; best first, N may be 0.
        """
        if (not isinstance(image_bgr, np.ndarray) or image_bgr.ndim != 3
                or image_bgr.shape[2] != 3 or image_bgr.size == 0):
            raise ValueError('expected an (H, W, 3) BGR image, got '
                             f'{getattr(image_bgr, "shape", type(image_bgr))}')
        h, w = image_bgr.shape[:2]
        tiles = square_tiles(h, w, self.num_tiles)
        if self.full_frame and len(tiles) > 1:
            tiles = np.concatenate([tiles, [[0, 0, w, h]]])
        found = [
            self._detect_square(image_bgr[y0:y1, x0:x1], (x0, y0))
            for x0, y0, x1, y1 in tiles
        ]
        boxes = np.concatenate([f[0] for f in found])
        scores = np.concatenate([f[1] for f in found])
        points = np.concatenate([f[2] for f in found])
        boxes, scores, points = weighted_nms(boxes, scores, points,
                                             self.nms_threshold,
                                             self.max_detections)
        rois = alignment_roi(points[:, 0], points[:, 1])
        radius = np.linalg.norm(points[:, 1] - points[:, 0], axis=1)
        body = np.concatenate(
            [points[:, 0] - radius[:, None], points[:, 0] + radius[:, None]],
            axis=1)
        return dict(
            boxes=body.astype(np.float32).reshape(-1, 4),
            scores=scores,
            keypoints=points.reshape(-1, 4, 2),
            rois=rois.reshape(-1, 5),
            det_boxes=boxes.reshape(-1, 4))
