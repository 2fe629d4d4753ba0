# Copyright (c) mmlpose contributors. All rights reserved.
"""Environment set-up: module registration and checkpoint loading."""
import datetime
import warnings

import torch
from mmengine import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmlpose module so that it is registered, and mmpose's too.

    Args:
        init_default_scope (bool): Whether to make ``'mmlpose'`` the default
            scope. When the current default scope is another one, a new scope
            named ``mmlpose-<timestamp>`` is created so the current one is not
            overwritten. Defaults to True.
    """
    from mmpose.utils import register_all_modules as mmpose_register
    mmpose_register(init_default_scope=False)

    import mmlpose.datasets  # noqa: F401
    import mmlpose.engine  # noqa: F401
    import mmlpose.evaluation  # noqa: F401
    import mmlpose.models  # noqa: F401
    import mmlpose.visualization  # noqa: F401

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmlpose')
        if never_created:
            DefaultScope.get_instance('mmlpose', scope_name='mmlpose')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmlpose':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmlpose", '
                          '`register_all_modules` will force the current '
                          'default scope to be "mmlpose".')
            new_instance_name = f'mmlpose-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmlpose')


def load_from_local(filename: str, map_location=None):
    """Load a local checkpoint written by mmengine's ``Runner``.

    torch >= 2.6 defaults to ``weights_only=True``, which refuses the message
    hub and numpy objects that mmengine stores in its checkpoints, so
    ``load_checkpoint`` and ``--resume`` would fail. Only load checkpoints
    from sources you trust.
    """
    import os.path as osp
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    return torch.load(filename, map_location=map_location, weights_only=False)


def patch_checkpoint_loading() -> None:
    """Make mmengine's local checkpoint loader work with torch >= 2.6."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
