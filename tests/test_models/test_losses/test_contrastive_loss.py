# Copyright (c) mmlpose contributors. All rights reserved.
import math

import pytest
import torch

from mmlpose.models.losses import InfoNCELoss
from mmlpose.registry import MODELS

torch.set_num_threads(1)


def softplus_sum(*exponents):
    """``log(1 + sum(exp(e)))``: the cross entropy of a row whose target
    logit exceeds the others by ``-e``."""
    return math.log(1 + sum(math.exp(e) for e in exponents))


def three_pairs():
    """Motions e1, e2, e3 and texts with cos(m_i, t_j) =
    [[1, .6, 0], [0, .8, .6], [0, 0, .8]], i.e. logits at tau = 0.1
    [[10, 6, 0], [0, 8, 6], [0, 0, 8]]."""
    motion = torch.eye(3)
    text = torch.tensor([[1., 0., 0.], [.6, .8, 0.], [0., .6, .8]])
    return motion, text


def test_two_pairs_against_the_formula():
    # cosines [[1, .6], [0, .8]], unnormalised inputs
    motion = torch.tensor([[2., 0.], [0., 3.]])
    text = torch.tensor([[5., 0.], [1.2, 1.6]])
    loss = InfoNCELoss(temperature=0.1)(motion, text)
    # logits [[10, 6], [0, 8]]: rows (motion->text), columns (text->motion)
    rows = (softplus_sum(6 - 10) + softplus_sum(0 - 8)) / 2
    cols = (softplus_sum(0 - 10) + softplus_sum(6 - 8)) / 2
    assert loss.item() == pytest.approx((rows + cols) / 2, rel=1e-5)
    weighted = InfoNCELoss(temperature=0.1, loss_weight=2.)(motion, text)
    assert weighted.item() == pytest.approx(2 * loss.item(), rel=1e-6)
    # temperature 0.5: logits [[2, 1.2], [0, 1.6]]
    loss = InfoNCELoss(temperature=0.5)(motion, text)
    rows = (softplus_sum(1.2 - 2) + softplus_sum(0 - 1.6)) / 2
    cols = (softplus_sum(0 - 2) + softplus_sum(1.2 - 1.6)) / 2
    assert loss.item() == pytest.approx((rows + cols) / 2, rel=1e-5)


def test_filtering_removes_exactly_the_near_duplicate_negatives():
    motion, text = three_pairs()
    loss_fn = InfoNCELoss(temperature=0.1, filter_threshold=0.8)
    # unfiltered: rows [10, 6, 0], [0, 8, 6], [0, 0, 8];
    # columns [10, 0, 0], [6, 8, 0], [0, 6, 8]
    rows = (softplus_sum(-4, -10) + softplus_sum(-8, -2) +
            softplus_sum(-8, -8)) / 3
    cols = (softplus_sum(-10, -10) + softplus_sum(-2, -8) +
            softplus_sum(-8, -2)) / 3
    unfiltered = (rows + cols) / 2
    assert loss_fn(motion, text).item() == pytest.approx(unfiltered, 1e-5)
    # texts 0 and 1 are duplicates: logits (0, 1) and (1, 0) removed
    rows = (softplus_sum(-10) + softplus_sum(-2) + softplus_sum(-8, -8)) / 3
    cols = (softplus_sum(-10) + softplus_sum(-8) + softplus_sum(-8, -2)) / 3
    filtered = (rows + cols) / 2
    by_ids = loss_fn(motion, text, text_ids=torch.tensor([7, 7, 3]))
    assert by_ids.item() == pytest.approx(filtered, rel=1e-5)
    assert by_ids.item() < unfiltered
    by_strings = loss_fn(motion, text, text_ids=['walk', 'walk', 'jump'])
    assert by_strings.item() == pytest.approx(filtered, rel=1e-5)
    # the same by text similarity: (1 + .7) / 2 = .85 > .8 is filtered,
    # (1 + .5) / 2 = .75 and (1 + .58) / 2 = .79 are kept
    text_sim = torch.tensor([[1., .7, .58], [.7, 1., .5], [.58, .5, 1.]])
    by_sim = loss_fn(motion, text, text_similarity=text_sim)
    assert by_sim.item() == pytest.approx(filtered, rel=1e-5)
    mask = loss_fn.filter_mask(3, text_sim)
    assert mask.tolist() == [[False, True, False], [True, False, False],
                             [False, False, False]]
    # filtering off
    off = InfoNCELoss(temperature=0.1, filter_threshold=None)
    assert off(
        motion, text, text_ids=[0, 0, 1]).item() == pytest.approx(
            unfiltered, rel=1e-5)


def test_all_duplicates_keep_the_diagonal():
    motion, text = three_pairs()
    loss = InfoNCELoss(temperature=0.1)(motion, text, text_ids=[0, 0, 0])
    assert loss.item() == pytest.approx(0., abs=1e-6)


def test_gradients_reach_the_temperature_and_the_embeddings():
    motion, text = three_pairs()
    motion.requires_grad_(True)
    loss_fn = MODELS.build(dict(type='InfoNCELoss'))
    assert isinstance(loss_fn, InfoNCELoss)
    assert loss_fn.temperature.item() == pytest.approx(0.1)
    loss_fn(motion, text).backward()
    grad = loss_fn.log_temperature.grad
    assert grad is not None and grad.item() != 0 and math.isfinite(grad)
    assert motion.grad is not None and motion.grad.abs().sum() > 0
    # d loss / d log(tau) by finite differences
    eps = 1e-3
    values = []
    for sign in (1, -1):
        probe = InfoNCELoss(temperature=0.1 * math.exp(sign * eps))
        values.append(probe(motion.detach(), text).item())
    assert grad.item() == pytest.approx(
        (values[0] - values[1]) / (2 * eps), rel=1e-2)


def test_fixed_and_clamped_temperature():
    fixed = InfoNCELoss(temperature=0.07, learnable_temperature=False)
    assert list(fixed.parameters()) == []
    assert fixed.temperature.item() == pytest.approx(0.07)
    assert 'log_temperature' in fixed.state_dict()
    clamped = InfoNCELoss(temperature=0.1, temperature_range=(0.05, 0.2))
    with torch.no_grad():
        clamped.log_temperature.fill_(0.)  # tau = 1, above the range
    assert clamped.temperature.item() == pytest.approx(0.2)
    motion, text = three_pairs()
    clamped(motion, text).backward()
    assert clamped.log_temperature.grad.item() == 0.


@pytest.mark.parametrize('call, message', [
    (lambda f: f(torch.ones(2, 3), torch.ones(2, 4)), r'\(B, D\)'),
    (lambda f: f(torch.ones(3), torch.ones(3)), r'\(B, D\)'),
    (lambda f: f(torch.ones(0, 3), torch.ones(0, 3)), 'empty'),
    (lambda f: f(
        torch.ones(2, 3), torch.ones(2, 3), text_similarity=torch.ones(3, 3)),
     'text_similarity'),
    (lambda f: f(
        torch.ones(2, 3), torch.ones(2, 3), text_ids=torch.tensor([1, 2, 3])),
     'text_ids'),
    (lambda f: InfoNCELoss(temperature=0.), 'temperature'),
    (lambda f: InfoNCELoss(temperature=2.), 'temperature'),
])
def test_bad_input_raises_one_line_value_error(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call(InfoNCELoss())
    assert '\n' not in str(info.value)
