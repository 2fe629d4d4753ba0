# Copyright (c) mmlpose contributors. All rights reserved.
"""mmlpose: OpenMMLab toolbox for language-driven 3D human pose estimation."""
from .utils.setup_env import patch_checkpoint_loading
from .version import __version__, version_info

patch_checkpoint_loading()

__all__ = ['__version__', 'version_info']
