# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp

import pytest

from mmlpose.apis.inferencers import (get_model_aliases, list_models,
                                      resolve_model)
from mmlpose.apis.inferencers.utils.model_index import repo_dir

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def test_every_metafile_entry_points_to_a_config():
    models = list_models()
    names = {m['Name'] for m in models}
    assert {
        'mixste_tiny-27frm_1xb32-60e_deepmimic',
        'd3dp_tiny-27frm_1xb32-40e_deepmimic',
        'finepose_tiny-27frm_1xb32-40e_deepmimic',
        'finepose_512d-243frm_1xb4-100e_h36m-cpn'
    } <= names
    for entry in models:
        config = osp.join(repo_dir(), entry['Config'])
        assert osp.isfile(config), config
        # the model's name is its config's name
        assert osp.splitext(osp.basename(config))[0] == entry['Name']


def test_aliases():
    aliases = get_model_aliases()
    assert aliases['mixste-tiny-deepmimic'] == \
        'mixste_tiny-27frm_1xb32-60e_deepmimic'
    assert aliases['d3dp-tiny-deepmimic'] == \
        'd3dp_tiny-27frm_1xb32-40e_deepmimic'
    assert aliases['finepose-tiny-deepmimic'] == \
        'finepose_tiny-27frm_1xb32-40e_deepmimic'
    assert len(aliases) == len(set(aliases))


def test_resolve_by_alias_name_and_path():
    cfg, weights = resolve_model('mixste-tiny-deepmimic')
    assert weights == osp.join(repo_dir(), 'checkpoints',
                               'mixste_tiny_deepmimic.pth')
    assert cfg.model.backbone.embed_dim == 64
    cfg2, _ = resolve_model('MIXSTE_TINY-27FRM_1XB32-60E_DEEPMIMIC')
    assert cfg2.filename == cfg.filename
    path = osp.join(REPO_ROOT, 'configs', 'mixste',
                    'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
    cfg3, weights3 = resolve_model(path)
    assert weights3 is None and cfg3.model.backbone.depth == 2
    # explicit weights win over the metafile's
    assert resolve_model('mixste-tiny', 'my.pth')[1] == 'my.pth'


def test_resolve_errors():
    with pytest.raises(ValueError, match='unknown model'):
        resolve_model('no-such-model')
    with pytest.raises(FileNotFoundError, match='config file not found'):
        resolve_model('missing_config.py')
    with pytest.raises(ValueError, match='no weights are published'):
        resolve_model('finepose-h36m-cpn')
