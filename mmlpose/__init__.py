# Copyright (c) mmlpose contributors. All rights reserved.
"""mmlpose: OpenMMLab toolbox for language-driven 3D human pose estimation."""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
