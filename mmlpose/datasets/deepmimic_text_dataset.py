# Copyright (c) mmlpose contributors. All rights reserved.
"""The DeepMimic mini set with per-frame fine-grained texts and action
labels (LangPose's stage 1 data)."""
import json
import os.path as osp
from typing import List, Optional, Tuple

from mmlpose.registry import DATASETS
from .h36m_text_dataset import (Human36mTextDataset, check_exists,
                                resolve_path)


def default_texts_file(ann_file: str) -> str:
    """``'.../deepmimic_train.npz'`` -> ``'.../deepmimic_train_texts.json'``
    (the converter's naming)."""
    return osp.splitext(ann_file)[0] + '_texts.json'


@DATASETS.register_module()
class DeepMimicTextDataset(Human36mTextDataset):
    """:class:`Human36mTextDataset` on the DeepMimic npz whose samples also
    carry a fine-grained sentence and an action label.

    ``texts_file`` is the converter's ``deepmimic_{split}_texts.json``
    (:func:`mmlpose.datasets.converters.deepmimic.build_split_texts`):
    ``texts`` (unique sentences), ``text_index`` and ``action_label`` (one
    per npz row) and ``action_classes``. Every sample (a window of frames)
    gets the values of its centre frame, ``img_ids[len // 2]``:

    - ``motion_text`` (str): that frame's segment sentence, e.g.
      ``'someone performs the action "kick", ..., kicking the right leg
      up, ...'``;
    - ``action_label`` (int): index of the clip's action in
      ``action_classes`` (the same classes for train and test; a held-out
      clip's action may be absent from training).

    ``self.action_classes`` lists the classes. Add ``'motion_text'`` and
    ``'action_label'`` to ``PackPoseInputs.meta_keys`` to pass them to the
    model. The sentences mention left and right: do not flip such samples
    (``RandomFlipAroundRoot``) without swapping the words.

    Bad input raises one-line errors: a missing texts file
    (``FileNotFoundError``), one that is not valid JSON, lacks a key, has
    another row count than the npz or an index out of range
    (``ValueError``); see :class:`Human36mTextDataset` for the rest.

    Args:
        texts_file (str, optional): The texts json, relative to
            ``data_root`` unless absolute. Defaults to ``ann_file`` with
            ``.npz`` replaced by ``_texts.json``.
        **kwargs: See :class:`Human36mTextDataset`.
    """

    TEXT_KEYS = ('action_classes', 'texts', 'text_index', 'action_label')

    def __init__(self,
                 ann_file: str = '',
                 texts_file: Optional[str] = None,
                 **kwargs):
        data_root = kwargs.get('data_root')
        self.texts_file = resolve_path(
            texts_file or default_texts_file(ann_file), data_root)
        check_exists(self.texts_file, 'DeepMimic texts file', data_root)
        self.action_classes: List[str] = []
        super().__init__(ann_file=ann_file, **kwargs)

    def _load_texts(self, num_rows: int) -> dict:
        try:
            with open(self.texts_file) as f:
                texts = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{self.texts_file}: not valid JSON ({e})') \
                from None
        missing = [k for k in self.TEXT_KEYS if k not in texts]
        if not isinstance(texts, dict) or missing:
            raise ValueError(f'{self.texts_file}: missing keys {missing} '
                             f'(expected {list(self.TEXT_KEYS)})')
        for key, bound in (('text_index', len(texts['texts'])),
                           ('action_label', len(texts['action_classes']))):
            values = texts[key]
            if len(values) != num_rows:
                raise ValueError(
                    f'{self.texts_file}: "{key}" has {len(values)} rows, '
                    f'the annotation file {num_rows}; convert both again')
            if values and not 0 <= min(values) <= max(values) < bound:
                raise ValueError(f'{self.texts_file}: "{key}" has indices '
                                 f'outside [0, {bound})')
        return texts

    def _load_annotations(self) -> Tuple[list, list]:
        instance_list, image_list = super()._load_annotations()
        texts = self._load_texts(len(self.ann_data['imgname']))
        self.action_classes = [str(c) for c in texts['action_classes']]
        for instance in instance_list:
            ids = instance['img_ids']
            centre = int(ids[len(ids) // 2])
            instance['motion_text'] = str(
                texts['texts'][texts['text_index'][centre]])
            instance['action_label'] = int(texts['action_label'][centre])
        return instance_list, image_list
