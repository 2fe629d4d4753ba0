# Copyright (c) mmlpose contributors. All rights reserved.
"""Environment set-up: module registration and checkpoint loading."""
import datetime
import warnings

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
    """Load a local checkpoint safely (mmengine's local ``CheckpointLoader``
    scheme once :func:`patch_checkpoint_loading` ran).

    ``torch.load(weights_only=True)`` with the allow-list of
    :mod:`mmlpose.engine.checkpoint` (mmengine's message hub, numpy arrays,
    scalars and dtypes); a file needing any other type is refused with a
    :class:`~mmlpose.engine.checkpoint.CheckpointError` naming it. Inside
    ``mmlpose.engine.checkpoint.unsafe_loading()`` (``--unsafe-load``,
    ``unsafe_load=True``) a trusted file is unpickled without restriction.
    """
    # imported here: ``import mmlpose`` stays light
    from mmlpose.engine.checkpoint import load_from_local as _load
    return _load(filename, map_location=map_location)


def patch_checkpoint_loading() -> None:
    """Make mmengine's local checkpoint loader safe (and work with
    torch >= 2.6, whose ``weights_only=True`` default refuses the message
    hub and numpy objects of mmengine's checkpoints)."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
