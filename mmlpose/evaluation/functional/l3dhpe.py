# Copyright (c) mmlpose contributors. All rights reserved.
"""Per-sample measures of language-driven 3D human pose estimation
(Panoptic-L3D): who the prediction is, and how far it is from the referred
person.

Identification (the paper gives no exact rule; this is ours):

- by skeleton: the ground-truth person of the sample whose visible joints
  are, on average, nearest to the predicted joints (absolute millimetres);
  a person without any visible joint is never chosen;
- by mask (no skeleton): the person whose mask has the best IoU with the
  predicted mask (ties: the first).

Errors are measured against the REFERRED person's ground truth whatever the
identification said (as the released evaluation compares with the referred
body only), so a wrong person costs a large MPJPE-L:

- MPJPE-L: mean joint distance, absolute (no alignment), over the referred
  person's visible joints;
- MPJPE: the same after moving both skeletons' roots (joint 2, body
  centre) to the origin;
- MRPE: distance between the predicted and the true root.
"""
from typing import Dict, Optional, Tuple

import numpy as np

from mmlpose.structures.panoptic import NUM_PANOPTIC_JOINTS, PANOPTIC_ROOT


def _skeleton(pred: np.ndarray, name: str = 'prediction') -> np.ndarray:
    """``(15, 3)`` float64 from ``(15, 3)`` or ``(1, 15, 3)``."""
    pred = np.asarray(pred, np.float64)
    if pred.ndim == 3 and pred.shape[0] == 1:
        pred = pred[0]
    if pred.shape != (NUM_PANOPTIC_JOINTS, 3):
        raise ValueError(f'{name} must have shape (15, 3) or (1, 15, 3), '
                         f'got {pred.shape}')
    if not np.isfinite(pred).all():
        raise ValueError(f'{name} contains NaN or infinite values')
    return pred


def _people(gt: np.ndarray,
            visible: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    gt = np.asarray(gt, np.float64)
    if gt.ndim != 3 or gt.shape[1:] != (NUM_PANOPTIC_JOINTS, 3):
        raise ValueError('ground-truth keypoints must have shape (P, 15, 3), '
                         f'got {gt.shape}')
    visible = np.asarray(visible).astype(bool)
    if visible.shape != gt.shape[:2]:
        raise ValueError(f'visibility must have shape {gt.shape[:2]}, got '
                         f'{visible.shape}')
    visible = visible & np.isfinite(gt).all(-1)
    return gt, visible


def person_distances(pred: np.ndarray, gt: np.ndarray,
                     visible: np.ndarray) -> np.ndarray:
    """Mean per-joint distance of a prediction to every person.

    Args:
        pred (np.ndarray): ``(15, 3)`` (or ``(1, 15, 3)``) predicted joints.
        gt (np.ndarray): ``(P, 15, 3)`` ground-truth joints, same unit.
        visible (np.ndarray): ``(P, 15)`` bool visible joints.

    Returns:
        np.ndarray: ``(P,)`` mean distance over each person's visible
        joints; inf for a person with none.
    """
    pred = _skeleton(pred)
    gt, visible = _people(gt, visible)
    dist = np.linalg.norm(np.nan_to_num(gt) - pred[None], axis=-1)  # (P, 15)
    count = visible.sum(1)
    total = np.where(visible, dist, 0.).sum(1)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(count > 0, total / np.maximum(count, 1), np.inf)


def identify_by_skeleton(pred: np.ndarray, gt: np.ndarray,
                         visible: np.ndarray) -> int:
    """Index of the person nearest to the predicted skeleton (see
    :func:`person_distances`), or -1 when no person has a visible joint."""
    dist = person_distances(pred, gt, visible)
    if dist.size == 0 or not np.isfinite(dist).any():
        return -1
    return int(np.argmin(dist))


def mask_iou(pred_mask: np.ndarray, gt_mask: np.ndarray) -> float:
    """IoU of two ``(H, W)`` bool masks (0 when both are empty)."""
    a = np.asarray(pred_mask).astype(bool)
    b = np.asarray(gt_mask).astype(bool)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f'masks must be (H, W) of one shape, got {a.shape} '
                         f'and {b.shape}')
    union = np.logical_or(a, b).sum()
    if union == 0:
        return 0.
    return float(np.logical_and(a, b).sum() / union)


def identify_by_mask(pred_mask: np.ndarray,
                     gt_masks: np.ndarray) -> Tuple[int, np.ndarray]:
    """Person whose mask best overlaps the prediction.

    Args:
        pred_mask (np.ndarray): ``(H, W)`` bool.
        gt_masks (np.ndarray): ``(P, H, W)`` bool, one per person.

    Returns:
        tuple: index of the best IoU (-1 when every IoU is 0 or there is no
        person) and the ``(P,)`` IoUs.
    """
    gt_masks = np.asarray(gt_masks).astype(bool)
    if gt_masks.ndim != 3:
        raise ValueError('gt_masks must have shape (P, H, W), got '
                         f'{gt_masks.shape}')
    ious = np.array([mask_iou(pred_mask, m) for m in gt_masks], np.float64)
    if ious.size == 0 or ious.max() <= 0:
        return -1, ious
    return int(np.argmax(ious)), ious


def mpjpe_l(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray) -> float:
    """Absolute mean joint error of ``(15, 3)`` ``pred`` to one person's
    ``(15, 3)`` ``gt`` over its ``(15,)`` visible joints (NaN if none)."""
    pred = _skeleton(pred)
    gt, visible = _people(np.asarray(gt)[None], np.asarray(visible)[None])
    if not visible[0].any():
        return float('nan')
    return float(np.linalg.norm(pred - gt[0], axis=-1)[visible[0]].mean())


def root_relative_mpjpe(pred: np.ndarray,
                        gt: np.ndarray,
                        visible: np.ndarray,
                        root: int = PANOPTIC_ROOT) -> float:
    """MPJPE after subtracting each skeleton's root joint (NaN when the
    ground-truth root or every joint is invisible)."""
    pred = _skeleton(pred)
    gt, visible = _people(np.asarray(gt)[None], np.asarray(visible)[None])
    gt, visible = gt[0], visible[0]
    if not visible[root] or not visible.any():
        return float('nan')
    err = np.linalg.norm((pred - pred[root]) - (gt - gt[root]), axis=-1)
    return float(err[visible].mean())


def root_error(pred: np.ndarray,
               gt: np.ndarray,
               visible: np.ndarray,
               root: int = PANOPTIC_ROOT) -> float:
    """MRPE of one sample: distance of the predicted and true root joints
    (NaN when the true root is invisible)."""
    pred = _skeleton(pred)
    gt, visible = _people(np.asarray(gt)[None], np.asarray(visible)[None])
    if not visible[0, root]:
        return float('nan')
    return float(np.linalg.norm(pred[root] - gt[0, root]))


def l3dhpe_sample(pred: Optional[np.ndarray],
                  gt: np.ndarray,
                  visible: np.ndarray,
                  referred_index: int,
                  pred_mask: Optional[np.ndarray] = None,
                  gt_masks: Optional[np.ndarray] = None) -> Dict[str, float]:
    """Every per-sample scalar of the L3DHPE metrics.

    Args:
        pred (np.ndarray, optional): ``(15, 3)`` / ``(1, 15, 3)`` predicted
            absolute joints (mm), None when the model gave no skeleton.
        gt (np.ndarray): ``(P, 15, 3)`` the sample's people (mm).
        visible (np.ndarray): ``(P, 15)`` bool.
        referred_index (int): The referred person, in ``[0, P)``.
        pred_mask (np.ndarray, optional): ``(H, W)`` bool predicted mask.
        gt_masks (np.ndarray, optional): ``(P, H, W)`` bool people's masks.

    Returns:
        dict: ``identified`` (index, -1 none), ``correct`` (0/1),
        ``mpjpe_l``, ``mpjpe``, ``mrpe`` (mm, NaN without skeleton),
        ``iou`` (with the referred mask, NaN without masks), ``chance``
        (1/P), ``missing`` (1 when neither skeleton nor mask was given).
    """
    gt, visible = _people(gt, visible)
    num_people = gt.shape[0]
    if not 0 <= int(referred_index) < num_people:
        raise ValueError(f'referred_index {referred_index} is not among the '
                         f'{num_people} people of the sample')
    ref = int(referred_index)
    nan = float('nan')
    out = dict(
        identified=-1,
        correct=0.,
        mpjpe_l=nan,
        mpjpe=nan,
        mrpe=nan,
        iou=nan,
        chance=1. / num_people,
        missing=0.)
    has_masks = pred_mask is not None and gt_masks is not None
    if has_masks:
        gt_masks = np.asarray(gt_masks).astype(bool)
        if gt_masks.shape[0] != num_people:
            raise ValueError(f'{gt_masks.shape[0]} ground-truth masks for '
                             f'{num_people} people')
        out['iou'] = mask_iou(pred_mask, gt_masks[ref])
    if pred is not None:
        out['identified'] = identify_by_skeleton(pred, gt, visible)
        out['mpjpe_l'] = mpjpe_l(pred, gt[ref], visible[ref])
        out['mpjpe'] = root_relative_mpjpe(pred, gt[ref], visible[ref])
        out['mrpe'] = root_error(pred, gt[ref], visible[ref])
    elif has_masks:
        out['identified'] = identify_by_mask(pred_mask, gt_masks)[0]
    else:
        out['missing'] = 1.
    out['correct'] = float(out['identified'] == ref)
    return out
