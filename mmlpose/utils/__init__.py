# Copyright (c) mmlpose contributors. All rights reserved.
from .setup_env import patch_checkpoint_loading, register_all_modules

__all__ = ['register_all_modules', 'patch_checkpoint_loading']
