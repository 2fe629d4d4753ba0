# Copyright (c) mmlpose contributors. All rights reserved.
"""``MMLPoseRunner``: mmengine's ``Runner`` with trustworthy checkpoints.

Differences from ``mmengine.runner.Runner`` (everything else is inherited):

* ``load_checkpoint`` reads through :func:`mmlpose.engine.checkpoint.
  safe_load` (``unsafe_load=True`` in the config allows a trusted pickle)
  and is strict: the config's ``load_strict`` (default True) refuses a
  checkpoint that leaves weights missing, has unexpected ones or ones of
  another shape. When training from ``load_from`` (fine-tuning),
  ``load_from_new_keys`` / ``load_from_dropped_keys`` (prefixes or regexes)
  declare the parameters expected to be new and the checkpoint keys
  expected to be unused.
* ``save_checkpoint`` adds ``rng_state`` (Python, numpy, torch CPU/CUDA at
  the moment of the save, the data sampler's seed and epoch) and writes the
  file atomically (temporary file, fsync, ``os.replace``) on local storage.
* ``resume`` restores those random states and the sampler's seed, so a run
  killed at an epoch boundary and resumed ends with the same weights as
  the run never interrupted (on CPU; see docs/checkpoints.md for GPUs).
* Validation during training runs with the random states saved and
  restored around it, so that validating (or saving a best checkpoint)
  does not change the training stream, and a checkpoint saved during
  validation holds the states training continues with.
"""
from typing import Callable, Optional, Union

from mmengine.fileio import get_file_backend
from mmengine.runner import Runner

from mmlpose.registry import RUNNERS
from .checkpoint import (atomic_save, get_rng_state, load_model_checkpoint,
                         safe_load, set_rng_state, unsafe_loading)


def _sampler_of(dataloader):
    sampler = getattr(dataloader, 'sampler', None)
    batch_sampler = getattr(dataloader, 'batch_sampler', None)
    if sampler is not None and hasattr(sampler, 'seed'):
        return sampler
    inner = getattr(batch_sampler, 'sampler', None)
    if inner is not None and hasattr(inner, 'seed'):
        return inner
    return sampler


@RUNNERS.register_module()
class MMLPoseRunner(Runner):
    """mmengine's ``Runner`` with safe, strict loading, atomic saves and
    bit-exact resume (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cfg = self.cfg
        self._load_strict = bool(cfg.get('load_strict', True))
        self._load_from_new_keys = tuple(cfg.get('load_from_new_keys') or ())
        self._load_from_dropped_keys = tuple(
            cfg.get('load_from_dropped_keys') or ())
        self._unsafe_load = bool(cfg.get('unsafe_load', False))
        self._training = False
        self._resuming = False
        self._rng_state_in_val = None
        self._loaded_checkpoint = None

    # ------------------------------------------------------------------
    # loading
    def train(self):
        self._training = True
        try:
            with unsafe_loading(self._unsafe_load):  # init_cfg Pretrained
                return super().train()
        finally:
            self._training = False

    def val(self):
        with unsafe_loading(self._unsafe_load):
            return super().val()

    def test(self):
        with unsafe_loading(self._unsafe_load):
            return super().test()

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: Optional[bool] = None,
                        revise_keys: list = [(r'^module.', '')]):
        """Load a checkpoint into the model: safe and strict.

        Args:
            filename (str): Checkpoint path (or URL: other schemes go
                through mmengine's ``CheckpointLoader``).
            map_location: As for ``torch.load``. Defaults to ``'cpu'``.
            strict (bool, optional): Defaults to the config's
                ``load_strict`` (True when unset).
            revise_keys (list): ``(pattern, replacement)`` for the keys.

        Raises:
            CheckpointError: A missing, corrupt or unsafe file, or one that
                does not match the model (when strict).
        """
        if strict is None:
            strict = self._load_strict
        if '://' in str(filename):
            from mmengine.runner.checkpoint import _load_checkpoint
            with unsafe_loading(self._unsafe_load):
                checkpoint = _load_checkpoint(
                    filename, map_location=map_location)
        else:
            checkpoint = safe_load(
                filename, map_location=map_location, unsafe=self._unsafe_load)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)

        # new/dropped keys are declared for fine-tuning from load_from, not
        # for resuming one's own checkpoint or testing a trained one
        fine_tuning = self._training and not self._resuming
        load_model_checkpoint(
            self.model,
            checkpoint,
            strict=strict,
            new_keys=self._load_from_new_keys if fine_tuning else (),
            dropped_keys=self._load_from_dropped_keys if fine_tuning else (),
            revise_keys=revise_keys,
            filename=str(filename),
            logger=self.logger)
        self._has_loaded = True
        self._loaded_checkpoint = checkpoint
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default') -> None:
        """mmengine's ``resume``, then the random states and the data
        sampler's seed saved by :meth:`save_checkpoint`."""
        self._resuming = True
        try:
            super().resume(
                filename,
                resume_optimizer=resume_optimizer,
                resume_param_scheduler=resume_param_scheduler,
                map_location=map_location)
        finally:
            self._resuming = False
        checkpoint, self._loaded_checkpoint = self._loaded_checkpoint, None
        rng_state = (checkpoint or {}).get('rng_state')
        if not rng_state:
            self.logger.warning(
                f'{filename} has no rng_state (saved by another runner): '
                'training continues, but not bit-exactly')
            return
        sampler = _sampler_of(self.train_dataloader)
        if sampler is not None and rng_state.get('sampler_seed') is not None \
                and hasattr(sampler, 'seed'):
            sampler.seed = rng_state['sampler_seed']
        if self._world_size != rng_state.get('world_size', self._world_size):
            self.logger.warning(
                'the checkpoint was saved with another number of processes: '
                'its random states are not restored')
        elif self._world_size > 1 and self._randomness_cfg.get(
                'diff_rank_seed', False):
            # rank 0's states would make every rank draw the same numbers
            self.logger.warning(
                'diff_rank_seed: the random states are saved by rank 0 '
                'only and are not restored')
        else:
            set_rng_state(rng_state)

    # ------------------------------------------------------------------
    # saving
    def build_val_loop(self, loop):
        loop = super().build_val_loop(loop)
        if getattr(loop, '_mmlpose_rng_isolated', False):
            return loop
        run = loop.run
        runner = self

        def run_keeping_rng_state():
            if not runner._training:
                return run()
            state = get_rng_state()
            runner._rng_state_in_val = state
            try:
                return run()
            finally:
                runner._rng_state_in_val = None
                set_rng_state(state)

        loop.run = run_keeping_rng_state
        loop._mmlpose_rng_isolated = True
        return loop

    def _rng_state_for_checkpoint(self) -> dict:
        state = self._rng_state_in_val or get_rng_state()
        state = dict(state, world_size=self._world_size)
        sampler = _sampler_of(self.train_dataloader) \
            if self._train_dataloader is not None else None
        if sampler is not None:
            state['sampler_seed'] = getattr(sampler, 'seed', None)
            state['sampler_epoch'] = getattr(sampler, 'epoch', None)
        return state

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None):
        """mmengine's ``save_checkpoint`` plus ``rng_state``, written
        atomically on local storage."""
        from mmengine.dist import is_main_process
        if not is_main_process():
            return
        import mmengine.runner.runner as runner_module
        rng_state = self._rng_state_for_checkpoint()
        local = file_client_args is None and type(
            get_file_backend(
                out_dir, backend_args=backend_args)).__name__ == 'LocalBackend'
        original = runner_module.save_checkpoint

        def save(checkpoint, filepath, *args, **kwargs):
            checkpoint['rng_state'] = rng_state
            if local:
                atomic_save(checkpoint, filepath)
            else:
                original(checkpoint, filepath, *args, **kwargs)

        # mmengine's method builds the checkpoint dict and hands it to the
        # module-level save_checkpoint: swap that one call
        runner_module.save_checkpoint = save
        try:
            super().save_checkpoint(
                out_dir,
                filename,
                file_client_args=file_client_args,
                save_optimizer=save_optimizer,
                save_param_scheduler=save_param_scheduler,
                meta=meta,
                by_epoch=by_epoch,
                backend_args=backend_args)
        finally:
            runner_module.save_checkpoint = original
