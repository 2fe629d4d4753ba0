# Copyright (c) mmlpose contributors. All rights reserved.
from .h36m_text_dataset import (Human36mTextDataset, action_category,
                                action_to_text)
from .egohumans_dataset import (EGOHUMANS_ACTIVITY_TEXT,
                                EgoHumansLiftingDataset, egohumans_imgname,
                                parse_egohumans_imgname)
from .mpi_inf_3dhp_dataset import MPIINF3DHPDataset
from .deepmimic_text_dataset import DeepMimicTextDataset
from .pw3d_dataset import PW3DDataset, pw3d_video_sequences
from .panoptic_l3d_dataset import PanopticL3DDataset
from .randomized_lifting_dataset import RandomizedLiftingDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'Human36mTextDataset', 'action_to_text', 'action_category',
    'MPIINF3DHPDataset', 'DeepMimicTextDataset', 'EgoHumansLiftingDataset',
    'EGOHUMANS_ACTIVITY_TEXT', 'RandomizedLiftingDataset',
    'egohumans_imgname', 'parse_egohumans_imgname',
    'PW3DDataset', 'pw3d_video_sequences', 'PanopticL3DDataset'
]
