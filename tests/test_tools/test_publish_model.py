# Copyright (c) mmlpose contributors. All rights reserved.
import importlib.util
import os.path as osp

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'misc', 'publish_model.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('publish_model', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / 'train.pth'
    torch.save(
        dict(
            state_dict={
                'head.weight': torch.ones(2, 3),
                'text_encoder.backbone.w': torch.zeros(4),
                'text_encoder.projection.weight': torch.full((2, 2), 1 / 3),
                'steps': torch.tensor([7]),
            },
            optimizer={'lr': 1e-3},
            meta=dict(dataset_meta={'flip_indices': [0]}, epoch=3)), path)
    return str(path)


def test_strip_exclude_and_half(tool, checkpoint, tmp_path):
    dst = str(tmp_path / 'out.pth')
    tool.publish(checkpoint, dst, exclude=['text_encoder.backbone'], half=True)
    out = torch.load(dst, map_location='cpu', weights_only=False)
    assert set(out) == {'state_dict', 'meta'}  # no optimizer
    sd = out['state_dict']
    assert set(sd) == {
        'head.weight', 'text_encoder.projection.weight', 'steps'
    }
    assert sd['head.weight'].dtype == torch.float16
    assert sd['text_encoder.projection.weight'][0, 0].item() == \
        pytest.approx(1 / 3, abs=1e-3)  # float16 rounding only
    assert sd['steps'].dtype == torch.int64  # integers stay as they are
    assert out['meta']['dataset_meta'] == {'flip_indices': [0]}
    assert out['meta']['excluded'] == ['text_encoder.backbone']

    full = str(tmp_path / 'full.pth')
    tool.publish(checkpoint, full)
    assert torch.load(full, weights_only=False)['state_dict'][
        'head.weight'].dtype == torch.float32


def test_errors(tool, checkpoint, tmp_path):
    with pytest.raises(SystemExit, match='no weight of'):
        tool.publish(checkpoint, str(tmp_path / 'x.pth'), exclude=['nope.'])
    with pytest.raises(SystemExit, match='checkpoint not found'):
        tool.publish(str(tmp_path / 'missing.pth'), str(tmp_path / 'y.pth'))
