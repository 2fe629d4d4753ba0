# Copyright (c) mmlpose contributors. All rights reserved.
"""DDIM noise schedule and update of the diffusion lifters (D3DP, FinePOSE).

The maths lives in diffusers' :class:`~diffusers.DDIMScheduler`; this wrapper
fixes the configuration of the D3DP/FinePOSE code (cosine schedule, x0
prediction, clamp at +-1.1, ``eta`` noise passed in by the caller) and gives
the pose heads a small, tensor-in tensor-out interface.
"""
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from mmlpose.registry import TASK_UTILS


def _ddim_scheduler_class():
    try:
        from diffusers.schedulers.scheduling_ddim import DDIMScheduler
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError(
            'PoseDDIMScheduler needs diffusers (pip install '
            'diffusers==0.35.2, see requirements/runtime.txt)') from e
    return DDIMScheduler


@TASK_UTILS.register_module()
class PoseDDIMScheduler:
    """Cosine-schedule DDIM for denoisers that predict the clean pose x0.

    Wraps diffusers' ``DDIMScheduler(beta_schedule='squaredcos_cap_v2',
    prediction_type='sample', clip_sample=True, clip_sample_range=1.1,
    set_alpha_to_one=True, timestep_spacing='trailing')``. With these
    settings one DDIM step from ``t`` to ``t_next`` is::

        x0  = clamp(x0_pred, -1.1, 1.1)
        eps = (x_t - sqrt(a_t) x0) / sqrt(1 - a_t)
        sigma = eta sqrt((1 - a_t / a_next) (1 - a_next) / (1 - a_t))
        x_next = sqrt(a_next) x0 + sqrt(1 - a_next - sigma^2) eps + sigma n

    with ``a = alphas_cumprod`` and ``a_next = 1`` when ``t_next < 0`` (the
    last step returns x0), as in the D3DP and FinePOSE code.

    The ``'trailing'`` spacing gives exactly the authors' pairs
    ``linspace(-1, T - 1, M + 1)`` (as ints, reversed) when ``M`` divides
    ``T``, e.g. M = 1, 2, 4, 5, 8, 10, 20, 25, 40, 50 for ``T = 1000``; other
    ``M`` are refused, since diffusers steps by the fixed gap ``T // M``.

    Precision: diffusers keeps the schedule in float32; against the float64
    schedule of the authors' code the betas differ by at most 2.3e-8 and the
    ``alphas_cumprod`` by at most 3.3e-7 (absolute; relative 1.3e-5 at the
    last two timesteps, where ``alphas_cumprod`` is below 3e-6).

    Note:
        - any sample shape: ``(N, ...)``, e.g. ``(N, T, K, 3)``

    Args:
        num_train_timesteps (int): Diffusion steps T of training.
            Defaults to 1000.
        clip_range (float): Clamp of the noisy pose fed to the network and
            of the predicted x0. Defaults to 1.1.
    """

    def __init__(self, num_train_timesteps: int = 1000,
                 clip_range: float = 1.1):
        self.num_train_timesteps = num_train_timesteps
        self.clip_range = clip_range
        self.ddim = _ddim_scheduler_class()(
            num_train_timesteps=num_train_timesteps,
            beta_schedule='squaredcos_cap_v2',
            prediction_type='sample',
            clip_sample=True,
            clip_sample_range=clip_range,
            set_alpha_to_one=True,
            timestep_spacing='trailing')

    @property
    def betas(self) -> Tensor:
        """``(T, )`` noise schedule (float32)."""
        return self.ddim.betas

    @property
    def alphas_cumprod(self) -> Tensor:
        """``(T, )`` cumulative products of ``1 - betas`` (float32)."""
        return self.ddim.alphas_cumprod

    def sample_timesteps(self,
                         batch_size: int,
                         device: Optional[torch.device] = None,
                         generator: Optional[torch.Generator] = None
                         ) -> Tensor:
        """One training timestep per sample, uniform in ``{0, ..., T-1}``:
        ``(batch_size, )`` long tensor."""
        return torch.randint(
            0, self.num_train_timesteps, (batch_size, ),
            device=device, generator=generator)

    def add_noise(self, x0: Tensor, noise: Tensor, t: Tensor) -> Tensor:
        """Forward diffusion ``sqrt(a_t) x0 + sqrt(1 - a_t) noise``.

        Args:
            x0: ``(N, ...)`` clean samples; noise: same shape.
            t: ``(N, )`` timesteps.

        Returns:
            ``(N, ...)`` noisy samples (not clamped).
        """
        return self.ddim.add_noise(x0, noise, t)

    def clamp(self, x: Tensor) -> Tensor:
        """Clamp to ``[-clip_range, clip_range]``."""
        return x.clamp(-self.clip_range, self.clip_range)

    def timesteps(self, num_steps: int) -> List[Tuple[int, int]]:
        """Set up ``num_steps`` sampling steps; return their ``(t, t_next)``
        pairs, ``t_next = -1`` for the last one.

        ``num_steps`` must divide ``num_train_timesteps`` (see the class
        docstring). The pairs are those of the authors' code.
        """
        if num_steps < 1 or self.num_train_timesteps % num_steps:
            divisors = [
                m for m in range(1, 101) if self.num_train_timesteps % m == 0
            ]
            raise ValueError(
                f'{type(self).__name__}: num_steps={num_steps} must divide '
                f'num_train_timesteps={self.num_train_timesteps} to step '
                f'exactly like the D3DP/FinePOSE code; use one of '
                f'{divisors}')
        self.ddim.set_timesteps(num_steps)
        gap = self.num_train_timesteps // num_steps
        return [(int(t), int(t) - gap) for t in self.ddim.timesteps]

    def step(self, x0_pred: Tensor, t: int, x_t: Tensor, noise: Tensor,
             eta: float = 1.) -> Tensor:
        """One DDIM step from ``t`` to the next timestep of the schedule set
        by :meth:`timesteps`.

        Args:
            x0_pred: ``(N, ...)`` the network's prediction of x0 (clamped
                here).
            t: Current timestep, shared by the batch.
            x_t: ``(N, ...)`` current noisy sample (unclamped).
            noise: ``(N, ...)`` standard normal noise scaled by sigma.
            eta: DDIM stochasticity (1 = DDPM-like, 0 = deterministic).

        Returns:
            ``(N, ...)`` the sample at the next timestep (x0 after the last
            step).
        """
        if self.ddim.num_inference_steps is None:
            raise RuntimeError(f'{type(self).__name__}: call timesteps() '
                               'before step()')
        out = self.ddim.step(
            x0_pred,
            int(t),
            x_t,
            eta=eta,
            use_clipped_model_output=True,
            variance_noise=noise,
            return_dict=False)
        return out[0]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_train_timesteps='
                f'{self.num_train_timesteps}, clip_range={self.clip_range})')
