# Copyright (c) mmlpose contributors. All rights reserved.
"""mmengine's ``CheckpointHook`` with crash-safe bookkeeping."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as _CheckpointHook

from mmlpose.registry import HOOKS
from ..checkpoint import atomic_write_text


@HOOKS.register_module()
class CheckpointHook(_CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments), registered under the
    same name in mmlpose's scope, with two changes that keep a kill at any
    moment resumable:

    * the ``last_checkpoint`` file is written atomically (temporary file,
      fsync, ``os.replace``), after the checkpoint it names is complete;
    * with ``max_keep_ckpts``, the oldest checkpoint is removed only after
      the new one and ``last_checkpoint`` are written (mmengine removes it
      first, so a kill during the save left nothing to resume from).

    The checkpoint file itself is written atomically by
    :class:`mmlpose.engine.MMLPoseRunner`.
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        to_remove = []
        if self.max_keep_ckpts > 0:
            if len(self.keep_ckpt_ids) > 0 and self.keep_ckpt_ids[-1] == step:
                pass
            else:
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    to_remove.append(self.keep_ckpt_ids.popleft())
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids',
                                               list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if not is_main_process():
            return

        atomic_write_text(
            str(self.last_ckpt), osp.join(runner.work_dir, 'last_checkpoint'))

        for old_step in to_remove:
            ckpt_path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step))
            if ckpt_path == self.last_ckpt:
                continue
            if self.file_backend.isfile(ckpt_path):
                self.file_backend.remove(ckpt_path)
            elif self.file_backend.isdir(ckpt_path):
                self.file_backend.rmtree(ckpt_path)
