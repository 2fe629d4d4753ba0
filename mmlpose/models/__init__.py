# Copyright (c) mmlpose contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .pose_estimators import *  # noqa: F401,F403
from .referrers import *  # noqa: F401,F403
from .root_estimators import *  # noqa: F401,F403
from .rvos_adapters import *  # noqa: F401,F403
from .text_encoders import *  # noqa: F401,F403
