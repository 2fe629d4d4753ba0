# Copyright (c) mmlpose contributors. All rights reserved.
"""The one entry point of mmlpose's inference."""
from typing import Iterator, Optional, Sequence, Union

from mmlpose.registry import INFERENCERS
from .utils.inputs import InputType
from .utils.model_index import resolve_model


class MMLPoseInferencer:
    """mmlpose's unified inferencer, as ``MMPoseInferencer`` is mmpose's.

    It resolves ``model`` (alias, name, config path or config) and builds the
    inferencer its config asks for in an ``inferencer`` field (default
    ``'LiftingInferencer'``: every person tracked and lifted, the one a
    sentence describes referred), then delegates to it.

    Args:
        model: A model alias or name of the metafiles (see
            :func:`mmlpose.apis.get_model_aliases`), a config path or a
            config.
        weights (str, optional): Checkpoint; defaults to the metafile's.
        device (str, optional): Torch device.
        **kwargs: Passed to the inferencer (``pose2d``, ``referrer``,
            ``visualizer``, ``adapt`` (test-time adaptation, True or a dict
            of ``tta_cfg`` settings), ``show_progress``, ``unsafe_load``
            (unpickle trusted checkpoints without restriction), ...).

    Example:
        >>> inferencer = MMLPoseInferencer('mixste-tiny-deepmimic')
        >>> for result in inferencer('clip.mp4', text='the person jumping'):
        ...     print(result['referred_track_id'], result['scores'])
    """

    def __init__(self,
                 model: Union[str, dict],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 **kwargs) -> None:
        cfg, weights = resolve_model(model, weights)
        inferencer_type = cfg.get('inferencer', 'LiftingInferencer')
        self.inferencer = INFERENCERS.build(
            dict(
                type=inferencer_type,
                model=cfg,
                weights=weights,
                device=device,
                **kwargs))

    @property
    def model(self):
        return self.inferencer.model

    def __call__(self, inputs: Union[InputType, Sequence[InputType]],
                 **kwargs) -> Iterator[dict]:
        """Yield one result per input; see the inferencer's ``__call__``."""
        return self.inferencer(inputs, **kwargs)
