# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmlpose.models.utils import (back_project_root, jpma_aggregate,
                                  jpma_select, normalized_intrinsics)


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


def test_normalized_intrinsics_match_the_codec_normalisation():
    cam = dict(w=1000, h=800, f=np.array([[1150.], [1100.]]),
               c=np.array([[520.], [390.]]), k=np.zeros((3, 1)),
               p=np.zeros((2, 1)))
    out = normalized_intrinsics(cam)
    # pixel (u, v) of a camera point, normalised as the codec does
    X = np.array([0.3, -0.2, 4.])
    u = 1150 * X[0] / X[2] + 520
    v = 1100 * X[1] / X[2] + 390
    expected = np.array([(u - 500) / 500, (v - 400) / 500])
    got = out['f'].numpy() * X[:2] / X[2] + out['c'].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert set(out) == {'f', 'c', 'k', 'p'}
    # estimated intrinsics: f = image width, c = image centre
    for cam in (None, dict(w=1000, h=800)):
        est = normalized_intrinsics(cam)
        assert est['f'].tolist() == [2., 2.] and est['c'].tolist() == [0., 0.]


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
