# Copyright (c) mmlpose contributors. All rights reserved.
import torch

from mmlpose.models.losses import (MPJVELoss, TemporalConsistencyLoss,
                                   WeightedMPJPELoss)


def test_weighted_mpjpe_hand_computed():
    pred = torch.zeros(1, 2, 3, 3)
    target = torch.zeros(1, 2, 3, 3)
    pred[0, 0, 1] = torch.tensor([3., 4., 0.])  # error 5 at one joint
    loss = WeightedMPJPELoss(joint_weights=[1., 2., 1.])
    # (2 * 5) / (2 frames * 3 joints)
    assert torch.isclose(loss(pred, target), torch.tensor(10. / 6))
    weight = torch.ones(1, 2, 3)
    weight[0, 0, 1] = 0.
    assert loss(pred, target, weight) == 0.


def test_mpjve_ignores_constant_offset_and_sees_motion():
    target = torch.randn(2, 4, 17, 3)
    assert MPJVELoss()(target + 1.5, target) < 1e-6
    pred = target.clone()
    pred[:, 2] += torch.tensor([0., 0., 2.])  # jump at frame 2
    # velocities 1->2 and 2->3 are each off by 2 on every joint: 2 of 3 steps
    assert torch.isclose(MPJVELoss()(pred, target), torch.tensor(4. / 3))


def test_temporal_consistency_hand_computed():
    pred = torch.zeros(1, 3, 2, 3)
    pred[0, 1, 0, 0] = 1.
    loss = TemporalConsistencyLoss(joint_weights=[2., 1.], loss_weight=0.5)
    # squared diffs: 1 at (t=0->1, joint 0, x), 1 at (1->2, joint 0, x),
    # weighted x2, over 2*2*3 = 12 entries, times 0.5
    assert torch.isclose(loss(pred), torch.tensor(0.5 * 4. / 12))
    assert TemporalConsistencyLoss()(torch.zeros(1, 1, 2, 3)) == 0.
