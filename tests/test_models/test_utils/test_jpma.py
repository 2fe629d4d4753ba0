# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmpose.codecs import VideoPoseLifting

from mmlpose.models.utils import (back_project_root, camera_intrinsics,
                                  jpma_aggregate, jpma_select)


def test_per_joint_choice_by_hand():
    """f = 1, c = 0, root at depth 2: a point (x, y, z) + root projects to
    (x, y) / (z + 2). Two hypotheses, three joints, one frame."""
    root = torch.tensor([[0., 0., 2.]])
    hyps = torch.tensor([
        [[[0., 0., 0.], [0.2, 0., 0.], [0., 0.4, 0.]]],  # hypothesis 0
        [[[0., 0., 0.], [0.6, 0., 0.], [0., 0.2, 0.]]],  # hypothesis 1
    ])
    # joint 1 projects to 0.1 (hyp 0) or 0.3 (hyp 1): observed 0.28 -> hyp 1
    # joint 2 projects to 0.2 (hyp 0) or 0.1 (hyp 1): observed 0.19 -> hyp 0
    kpts_2d = torch.tensor([[[0., 0.], [0.28, 0.], [0., 0.19]]])
    f, c = torch.ones(2), torch.zeros(2)
    index = jpma_select(hyps, kpts_2d, f, c, root)
    assert index.tolist() == [[0, 1, 0]]
    agg = jpma_aggregate(hyps, kpts_2d, f, c, root)
    torch.testing.assert_close(
        agg, torch.tensor([[[0., 0., 0.], [0.6, 0., 0.], [0., 0.4, 0.]]]))


def test_depth_matters_through_the_root():
    """The same two hypotheses differ only in depth; the closer one
    projects farther from the centre."""
    hyps = torch.tensor([[[[0.5, 0., 0.]]], [[[0.5, 0., 2.]]]])
    f, c = torch.ones(2), torch.zeros(2)
    root = torch.tensor([[0., 0., 2.]])
    near = torch.tensor([[[0.25, 0.]]])  # 0.5 / 2
    far = torch.tensor([[[0.125, 0.]]])  # 0.5 / 4
    assert jpma_select(hyps, near, f, c, root).item() == 0
    assert jpma_select(hyps, far, f, c, root).item() == 1


def test_distortion_is_applied():
    """With strong radial distortion the undistorted best match flips."""
    hyps = torch.tensor([[[[0.5, 0., 0.]]], [[[0.6, 0., 0.]]]])
    f, c = torch.ones(2), torch.zeros(2)
    root = torch.tensor([[0., 0., 1.]])
    obs = torch.tensor([[[0.5 * (1 + 0.5 * 0.25), 0.]]])  # k1 = 0.5 at x=0.5
    assert jpma_select(hyps, obs, f, c, root).item() == 1
    k = torch.tensor([0.5, 0., 0.])
    assert jpma_select(hyps, obs, f, c, root, k=k).item() == 0


def test_intrinsics_are_read_from_the_codec_normalised_camera():
    """The codec normalises the 2D and the camera into the same units, so a
    camera point projected with the codec's camera lands on the codec's
    normalised pixel: JPMA reads the intrinsics, it converts nothing."""
    cam = dict(w=1000, h=800, f=np.array([[1150.], [1100.]]),
               c=np.array([[520.], [390.]]), k=np.zeros((3, 1)),
               p=np.zeros((2, 1)))
    X = np.array([0.3, -0.2, 4.])
    pixel = np.array([1150 * X[0] / X[2] + 520, 1100 * X[1] / X[2] + 390])
    codec = VideoPoseLifting(
        num_keypoints=1, reshape_keypoints=False, normalize_camera=True)
    encoded = codec.encode(
        pixel[None, None].astype(np.float32),
        lifting_target=np.zeros((1, 1, 3), np.float32),
        lifting_target_visible=np.ones((1, 1), np.float32),
        camera_param=cam)
    out = camera_intrinsics(encoded['camera_param'])
    assert set(out) == {'f', 'c', 'k', 'p'}
    got = out['f'].numpy() * X[:2] / X[2] + out['c'].numpy()
    np.testing.assert_allclose(got, encoded['keypoint_labels'][0, 0],
                               rtol=1e-6)
    np.testing.assert_allclose(out['f'].numpy(), [2.3, 2.2], rtol=1e-12)
    # estimated intrinsics: f = image width, c = image centre
    for cam in (None, dict(w=1000, h=800)):
        est = camera_intrinsics(cam)
        assert est['f'].tolist() == [2., 2.] and est['c'].tolist() == [0., 0.]
    # a camera still in pixels (codec without normalize_camera) is refused
    with pytest.raises(ValueError, match='normalize_camera=True'):
        camera_intrinsics(dict(w=1000, h=800, f=cam_f(1150.), c=cam_f(500.)))


def cam_f(value):
    return np.array([[value], [value]])


def test_back_projected_root_reprojects_onto_the_2d_root():
    f, c = torch.tensor([2., 2.1]), torch.tensor([0.1, -0.05])
    root_2d = torch.tensor([[0.3, -0.2], [0., 0.4]])
    root = back_project_root(root_2d, f, c, depth=5.)
    assert root[:, 2].tolist() == [5., 5.]
    torch.testing.assert_close(root[:, :2] / root[:, 2:] * f + c, root_2d)


def test_bad_shapes_raise():
    f, c = torch.ones(2), torch.zeros(2)
    with pytest.raises(ValueError, match='hyps'):
        jpma_select(torch.zeros(2, 3, 3), torch.zeros(2, 3, 2), f, c,
                    torch.zeros(2, 3))
    with pytest.raises(ValueError, match='kpts_2d'):
        jpma_select(torch.zeros(2, 4, 3, 3), torch.zeros(4, 2, 2), f, c,
                    torch.zeros(4, 3))
