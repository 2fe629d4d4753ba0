# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.apis.people.detector import (POSE_ANCHOR_OPTIONS,
                                          BlazePoseDetector, alignment_roi,
                                          box_iou, generate_ssd_anchors,
                                          roi_to_box, square_tiles,
                                          weighted_nms)


def test_pose_anchors():
    anchors = generate_ssd_anchors(**POSE_ANCHOR_OPTIONS)
    # 28x28 cells x 2 (stride 8) + 14x14 x 2 (16) + 7x7 x 6 (three 32s)
    assert anchors.shape == (28 * 28 * 2 + 14 * 14 * 2 + 7 * 7 * 6, 4)
    assert len(anchors) == 2254
    np.testing.assert_array_equal(anchors[:, 2:], 1)  # fixed anchor size
    # cell (0, 0) of stride 8 holds anchors 0 and 1, cell (0, 1) is next
    np.testing.assert_allclose(anchors[0, :2], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(anchors[1, :2], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(anchors[2, :2], [1.5 / 28, 0.5 / 28])
    # row 1 starts after 28 cells
    np.testing.assert_allclose(anchors[56, :2], [0.5 / 28, 1.5 / 28])
    # stride 16 starts at 1568; the three stride-32 layers share cells of 6
    np.testing.assert_allclose(anchors[1568, :2], [0.5 / 14, 0.5 / 14])
    np.testing.assert_allclose(anchors[1960:1966, :2],
                               np.tile([0.5 / 7, 0.5 / 7], (6, 1)))
    np.testing.assert_allclose(anchors[1966, :2], [1.5 / 7, 0.5 / 7])
    np.testing.assert_allclose(anchors[-1, :2], [6.5 / 7, 6.5 / 7])


def test_anchor_sizes():
    """Without fixed sizes: scale and the interpolated anchor."""
    anchors = generate_ssd_anchors(
        num_layers=2,
        min_scale=0.2,
        max_scale=0.8,
        input_size=(16, 16),
        strides=(8, 16),
        aspect_ratios=(1.0, 4.0),
        fixed_anchor_size=False)
    # layer 0: 2x2 cells x (2 ratios + 1 interpolated), layer 1: 1 x 3
    assert anchors.shape == (15, 4)
    np.testing.assert_allclose(anchors[0, 2:], [0.2, 0.2])
    np.testing.assert_allclose(anchors[1, 2:], [0.4, 0.1])  # ratio 4
    np.testing.assert_allclose(anchors[2, 2:], [0.4, 0.4])  # sqrt(.2 * .8)
    np.testing.assert_allclose(anchors[12:, :2], 0.5)
    np.testing.assert_allclose(anchors[14, 2:], [np.sqrt(0.8)] * 2)
    with pytest.raises(ValueError, match='strides'):
        generate_ssd_anchors(3, 0.1, 0.7, (16, 16), strides=(8, 16))


def test_box_iou_and_weighted_nms():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]],
                     np.float32)
    iou = box_iou(boxes, boxes)
    assert iou[0, 1] == pytest.approx(90 / 110)
    assert iou[0, 2] == 0 and iou[2, 2] == 1
    scores = np.array([0.6, 0.9, 0.8], np.float32)
    points = np.arange(6, dtype=np.float32).reshape(3, 1, 2)
    out_boxes, out_scores, out_points = weighted_nms(boxes, scores, points,
                                                     0.3)
    # boxes 0 and 1 merge, weighted 0.9 / 0.6; the best score is kept
    np.testing.assert_allclose(out_scores, [0.9, 0.8])
    np.testing.assert_allclose(out_boxes[0], [0.6, 0, 10.6, 10], atol=1e-5)
    np.testing.assert_allclose(
        out_points[0, 0],
        (0.6 * np.array([0, 1]) + 0.9 * np.array([2, 3])) / 1.5,
        atol=1e-5)
    np.testing.assert_allclose(out_boxes[1], boxes[2])
    assert len(weighted_nms(boxes, scores, points, 0.3, 1)[0]) == 1
    empty = weighted_nms(boxes[:0], scores[:0], points[:0], 0.3)
    assert empty[0].shape == (0, 4) and empty[2].shape == (0, 1, 2)


def test_alignment_roi():
    # scale point straight above the hips: upright, side 2 * 1.25 * 100
    roi = alignment_roi(np.array([100., 200.]), np.array([100., 100.]))
    np.testing.assert_allclose(roi, [100, 200, 250, 250, 0], atol=1e-5)
    # body lying to the right: turned by +90 degrees
    roi = alignment_roi(np.array([100., 200.]), np.array([160., 200.]))
    np.testing.assert_allclose(roi, [100, 200, 150, 150, np.pi / 2], atol=1e-5)
    # a 45-degree square's box is sqrt(2) larger
    box = roi_to_box(np.array([[0, 0, 10, 10, np.pi / 4]]))[0]
    np.testing.assert_allclose(
        box, np.array([-1, -1, 1, 1]) * 5 * 2**0.5, atol=1e-5)


def test_square_tiles():
    tiles = square_tiles(994, 1768)  # 16:9 -> two overlapping squares
    np.testing.assert_array_equal(tiles,
                                  [[0, 0, 994, 994], [774, 0, 1768, 994]])
    np.testing.assert_array_equal(square_tiles(500, 520), [[0, 0, 520, 500]])
    np.testing.assert_array_equal(
        square_tiles(300, 100, 3),
        [[0, 0, 100, 100], [0, 100, 100, 200], [0, 200, 100, 300]])
    with pytest.raises(ValueError, match='num_tiles'):
        square_tiles(10, 20, 0)


def test_detect_one_person(detector, person_photo):
    h, w = person_photo.shape[:2]
    det = detector(person_photo)
    assert len(det['scores']) == 1 and det['scores'][0] > 0.5
    assert det['boxes'].shape == (1, 4) and det['rois'].shape == (1, 5)
    assert det['keypoints'].shape == (1, 4, 2)
    hips, top, shoulders, _ = det['keypoints'][0]
    # an upright portrait: shoulders above the hips, centred in x
    assert shoulders[1] < hips[1] and abs(det['rois'][0, 4]) < 0.3
    assert w * 0.25 < shoulders[0] < w * 0.75 and 0 < shoulders[1] < h
    # the whole-body box holds the face (upper middle of the photo)
    x1, y1, x2, y2 = det['boxes'][0]
    assert x1 < w * 0.4 and x2 > w * 0.6 and y1 < h * 0.25 and y2 > h


def test_detect_two_people(detector, two_person_photo):
    w = two_person_photo.shape[1]
    det = detector(two_person_photo)
    assert len(det['scores']) == 2
    centres = np.sort(det['keypoints'][:, 2, 0])  # shoulder centres
    assert centres[0] < w / 2 < centres[1]


def test_no_person_and_bad_input(detector, tmp_path):
    det = detector(np.zeros((480, 640, 3), np.uint8))
    assert det['boxes'].shape == (0, 4) and det['keypoints'].shape == (0, 4, 2)
    assert det['rois'].shape == (0, 5) and det['scores'].shape == (0, )
    with pytest.raises(ValueError, match='BGR'):
        detector(np.zeros((480, 640), np.uint8))
    with pytest.raises(FileNotFoundError):
        BlazePoseDetector(model_path=str(tmp_path / 'missing.tflite'))
    with pytest.raises(ValueError, match='score_threshold'):
        BlazePoseDetector(score_threshold=2)
