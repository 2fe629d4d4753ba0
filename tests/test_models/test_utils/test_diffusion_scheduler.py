# Copyright (c) mmlpose contributors. All rights reserved.
import math

import pytest
import torch

from mmlpose.models.utils import PoseDDIMScheduler
from mmlpose.registry import TASK_UTILS


def cosine_alphas_cumprod(steps=1000, s=0.008):
    """The float64 cosine schedule of the D3DP/FinePOSE code, written out:
    betas from ratios of cos^2, clipped at 0.999, then their cumprod."""
    x = torch.linspace(0, steps, steps + 1, dtype=torch.float64)
    f = torch.cos((x / steps + s) / (1 + s) * math.pi / 2)**2
    betas = (1 - f[1:] / f[:-1]).clamp(0, 0.999)
    return betas, torch.cumprod(1 - betas, dim=0)


def ddim_step_by_hand(x0, t, t_next, x_t, noise, eta, clip=1.1):
    """The authors' sampling update, one step, in float64."""
    _, abar = cosine_alphas_cumprod()
    x0 = x0.double().clamp(-clip, clip)
    x_t = x_t.double()
    a = abar[t]
    eps = (torch.sqrt(1 / a) * x_t - x0) / torch.sqrt(1 / a - 1)
    if t_next < 0:
        return x0
    a_next = abar[t_next]
    sigma = eta * torch.sqrt((1 - a / a_next) * (1 - a_next) / (1 - a))
    c = torch.sqrt(1 - a_next - sigma**2)
    return x0 * torch.sqrt(a_next) + c * eps + sigma * noise.double()


def test_registered_and_schedule_matches_float64_cosine():
    sched = TASK_UTILS.build(dict(type='PoseDDIMScheduler'))
    assert isinstance(sched, PoseDDIMScheduler)
    betas, abar = cosine_alphas_cumprod()
    assert sched.betas.shape == (1000, )
    torch.testing.assert_close(
        sched.betas.double(), betas, atol=5e-8, rtol=0)
    torch.testing.assert_close(
        sched.alphas_cumprod.double(), abar, atol=1e-6, rtol=0)
    assert sched.betas[-1].item() == pytest.approx(0.999)


@pytest.mark.parametrize('num_steps', [1, 2, 4, 5, 10, 20])
def test_timestep_pairs_are_the_authors(num_steps):
    times = torch.linspace(-1, 999, num_steps + 1).int().tolist()[::-1]
    expected = list(zip(times[:-1], times[1:]))
    assert PoseDDIMScheduler().timesteps(num_steps) == expected
    assert expected[-1][1] == -1


def test_steps_that_do_not_divide_the_schedule_are_refused():
    with pytest.raises(ValueError, match='must divide'):
        PoseDDIMScheduler().timesteps(3)
    with pytest.raises(RuntimeError, match='timesteps'):
        PoseDDIMScheduler().step(
            torch.zeros(2), 999, torch.zeros(2), torch.zeros(2))


@pytest.mark.parametrize('pair', [(799, 599), (199, -1)])
@pytest.mark.parametrize('eta', [1., 0.5])
def test_step_matches_the_hand_written_update(pair, eta):
    torch.manual_seed(0)
    t, t_next = pair
    sched = PoseDDIMScheduler()
    assert pair in sched.timesteps(5)
    x_t = torch.randn(2, 4, 17, 3)
    x0 = torch.randn(2, 4, 17, 3) * 1.5  # some values get clamped
    noise = torch.randn(2, 4, 17, 3)
    out = sched.step(x0, t, x_t, noise, eta=eta)
    expected = ddim_step_by_hand(x0, t, t_next, x_t, noise, eta)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), expected, atol=2e-5, rtol=1e-5)
    if t_next < 0:  # the last step returns the clamped x0
        torch.testing.assert_close(out, x0.clamp(-1.1, 1.1))


def test_add_noise_and_timestep_sampling():
    sched = PoseDDIMScheduler()
    _, abar = cosine_alphas_cumprod()
    x0, noise = torch.randn(3, 5, 17, 3), torch.randn(3, 5, 17, 3)
    t = torch.tensor([0, 500, 999])
    a = abar[t].float()[:, None, None, None]
    torch.testing.assert_close(
        sched.add_noise(x0, noise, t), a.sqrt() * x0 + (1 - a).sqrt() * noise,
        atol=1e-5, rtol=1e-5)
    gen = torch.Generator().manual_seed(0)
    ts = sched.sample_timesteps(4000, generator=gen)
    assert ts.dtype == torch.long and ts.shape == (4000, )
    assert ts.min() == 0 and ts.max() == 999
    assert sched.clamp(torch.tensor([-3., 0.5, 3.])).tolist() == \
        pytest.approx([-1.1, 0.5, 1.1])
