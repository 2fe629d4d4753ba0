# Copyright (c) mmlpose contributors. All rights reserved.
"""mmlpose.engine.checkpoint: safe loading, strict matching, clear errors,
atomic saves and random states."""
import collections
import os
import pathlib
import pickle
import random

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmlpose.engine import checkpoint as ckpt_mod
from mmlpose.engine.checkpoint import (CheckpointError,
                                       CheckpointNotFoundError,
                                       UnsafeCheckpointError, atomic_save,
                                       atomic_write_text, get_rng_state,
                                       load_model_checkpoint, safe_load,
                                       set_rng_state)

torch.set_num_threads(1)


class WritesFile:
    """Unpickling it writes a file: what a crafted checkpoint does."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path(self.path), 'pwned'))


def crafted_checkpoint(path, marker):
    torch.save(
        dict(state_dict=dict(w=torch.zeros(2)), meta=WritesFile(marker)), path)
    assert not marker.exists()


def runner_like_checkpoint():
    """The non-tensor types of an mmengine Runner checkpoint."""
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub('test_checkpoint_hub')
    for value in (1.5, 2.5):
        hub.update_scalar('train/loss', value)
    hub.update_info(
        'dataset_meta',
        dict(
            sigmas=np.array([], dtype=np.float32),
            flip_indices=[0, 2, 1],
            joint_weights=np.ones(3, dtype=np.float64)))
    hub.update_info('best_score', np.float64(3.25))
    return dict(
        meta=dict(
            epoch=2,
            iter=4,
            seed=0,
            cfg='x = 1',
            dataset_meta=dict(num_keypoints=3)),
        state_dict=collections.OrderedDict(w=torch.ones(3)),
        message_hub=hub.state_dict(),
        rng_state=get_rng_state(),
        history=HistoryBuffer([1, 2, 3], [1, 1, 1]))


def test_runner_checkpoint_loads_safely(tmp_path):
    path = tmp_path / 'epoch_2.pth'
    torch.save(runner_like_checkpoint(), path)
    loaded = safe_load(str(path))
    assert torch.equal(loaded['state_dict']['w'], torch.ones(3))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert buffer.mean() == 2.0 and buffer.statistics('max') == 2.5
    assert loaded['message_hub']['runtime_info']['best_score'] == 3.25
    assert loaded['history'].current() == 3


def test_crafted_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned.txt'
    path = tmp_path / 'evil.pth'
    crafted_checkpoint(path, marker)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_load(str(path))
    message = str(info.value)
    assert '\n' not in message and str(path) in message
    assert 'pathlib' in message and '--unsafe-load' in message
    assert not marker.exists()

    # mmengine's loader (load_from, init_cfg Pretrained) is the safe one
    from mmengine.runner.checkpoint import CheckpointLoader
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    from mmlpose.utils import patch_checkpoint_loading
    patch_checkpoint_loading()  # the old name, now safe
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()

    # the payload is real: the explicit opt-in runs it
    safe_load(str(path), unsafe=True)
    assert marker.read_text() == 'pwned'


def test_crafted_checkpoint_refused_by_the_api(tmp_path):
    from mmlpose.apis import init_lifter
    marker = tmp_path / 'pwned.txt'
    path = tmp_path / 'evil.pth'
    crafted_checkpoint(path, marker)
    config = os.path.join(
        os.path.dirname(__file__), '..', '..', 'configs', 'mixste',
        'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
    with pytest.raises(UnsafeCheckpointError, match='unsafe_load=True'):
        init_lifter(config, str(path))
    assert not marker.exists()


def test_getattr_in_a_checkpoint_is_restricted():
    from mmengine.logging import HistoryBuffer
    assert ckpt_mod._history_buffer_getattr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    for obj, name in ((HistoryBuffer, '__init__'), (os, 'system'),
                      (HistoryBuffer, '_statistics_methods')):
        with pytest.raises(pickle.UnpicklingError):
            ckpt_mod._history_buffer_getattr(obj, name)


@pytest.mark.parametrize(
    'kind', ['missing', 'empty', 'truncated', 'text', 'folder', 'list'])
def test_bad_files_give_one_line_errors(tmp_path, kind):
    path = tmp_path / f'{kind}.pth'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':
        torch.save(dict(state_dict=dict(w=torch.randn(1000))), path)
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    elif kind == 'text':
        path.write_text('not a checkpoint\n')
    elif kind == 'folder':
        path.mkdir()
    elif kind == 'list':
        torch.save([1, 2], path)
    if kind == 'list':
        with pytest.raises(CheckpointError) as info:
            load_model_checkpoint(nn.Linear(2, 2), str(path))
    else:
        error = CheckpointNotFoundError if kind == 'missing' \
            else CheckpointError
        with pytest.raises(error) as info:
            safe_load(str(path))
    message = str(info.value)
    assert '\n' not in message and str(path) in message, message
    expected = dict(
        missing='not found',
        empty='empty',
        truncated='truncated or corrupt',
        text='not a PyTorch checkpoint',
        folder='folder',
        list='not a checkpoint')[kind]
    assert expected in message, message


class WithFrozenPart(nn.Module):
    """Leaves ``frozen`` out of its state dict and refills it when loading
    (as the text-encoder hooks of the referrers do)."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(3, 2)
        self.frozen = nn.Linear(3, 3)
        self._register_state_dict_hook(self._drop)
        self._register_load_state_dict_pre_hook(self._fill, with_module=True)

    @staticmethod
    def _drop(module, state_dict, prefix, local_metadata):
        for key in [k for k in state_dict if k.startswith(prefix + 'frozen.')]:
            del state_dict[key]

    @staticmethod
    def _fill(module, state_dict, prefix, *args):
        for key, value in module.frozen.state_dict().items():
            state_dict.setdefault(prefix + 'frozen.' + key, value)


def test_strict_matching():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    good = {k: v.clone() + 1 for k, v in model.state_dict().items()}

    load_model_checkpoint(model, dict(state_dict=good))
    assert torch.equal(model[0].weight, good['0.weight'])
    # mmengine's 'module.' prefix is stripped
    load_model_checkpoint(model, {'module.' + k: v for k, v in good.items()})

    with pytest.raises(CheckpointError) as info:
        load_model_checkpoint(model, dict(state_dict={}), filename='e.pth')
    message = str(info.value)
    assert '\n' not in message and message.startswith('e.pth: ')
    assert '4 of the model\'s 4 weights missing (0.weight, 0.bias, ' \
        '1.weight, ...)' in message and 'load_strict=False' in message

    other = dict(nn.Conv1d(2, 2, 1).state_dict(), **good)
    with pytest.raises(CheckpointError, match='2 unexpected keys'):
        load_model_checkpoint(model, other)
    load_model_checkpoint(model, other, dropped_keys=['weight', r'bias$'])

    resized = dict(good, **{'1.weight': torch.zeros(2, 5)})
    before = model[1].weight.clone()
    with pytest.raises(
            CheckpointError,
            match=r'1 of another shape '
            r'\(1.weight \(2, 5\) vs \(2, 4\)\)'):
        load_model_checkpoint(model, resized)
    load_model_checkpoint(model, resized, new_keys=[r'1\.w'])
    assert torch.equal(model[1].weight, before)  # keeps its own values

    partial = {k: v for k, v in good.items() if k.startswith('0.')}
    load_model_checkpoint(model, partial, new_keys=['1.'])
    load_model_checkpoint(model, partial, strict=False)  # warns only

    frozen = WithFrozenPart()
    saved = frozen.state_dict()
    assert not any(k.startswith('frozen.') for k in saved)
    load_model_checkpoint(WithFrozenPart(), dict(state_dict=saved))


def test_atomic_save_survives_a_failed_write(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    atomic_save(dict(state_dict=dict(w=torch.ones(2))), str(path))

    def half_then_die(f, data):
        f.write(data[:len(data) // 2])
        raise KeyboardInterrupt  # stands for the kill

    monkeypatch.setattr(ckpt_mod, '_write_bytes', half_then_die)
    with pytest.raises(KeyboardInterrupt):
        atomic_save(dict(state_dict=dict(w=torch.zeros(2))), str(path))
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text('epoch_2.pth', str(tmp_path / 'last_checkpoint'))
    assert torch.equal(safe_load(str(path))['state_dict']['w'], torch.ones(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']


def test_rng_state_round_trip(tmp_path):
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    np.random.randn()  # a cached gaussian
    state = get_rng_state()
    path = tmp_path / 'rng.pth'
    torch.save(dict(rng_state=state), path)
    expected = (random.random(), np.random.randn(), np.random.rand(3),
                torch.rand(3))
    set_rng_state(safe_load(str(path))['rng_state'])
    got = (random.random(), np.random.randn(), np.random.rand(3),
           torch.rand(3))
    assert got[0] == expected[0] and got[1] == expected[1]
    assert np.array_equal(got[2], expected[2])
    assert torch.equal(got[3], expected[3])


def test_public_finepose_layout_loads_safely(tmp_path):
    """The authors' .bin: model_pos, optimizer, epoch, lr and the numpy
    RandomState state of their chunked generator."""
    from mmlpose.models.utils.finepose_converter import \
        load_public_checkpoint
    rs = np.random.RandomState(1234)
    model = nn.Linear(2, 2)
    optim = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    optim.step()
    path = tmp_path / 'best_epoch_20_10.bin'
    torch.save(
        dict(
            epoch=20,
            lr=np.float64(1e-5),
            random_state=rs.get_state(),
            optimizer=optim.state_dict(),
            model_pos={
                f'module.pose_estimator.{k}': v
                for k, v in model.state_dict().items()
            }), path)
    loaded = load_public_checkpoint(str(path))
    assert loaded['epoch'] == 20 and loaded['random_state'][0] == 'MT19937'
    assert np.array_equal(loaded['random_state'][1], rs.get_state()[1])


def test_default_runtime_uses_the_runner():
    from mmengine.config import Config

    from mmlpose.engine import MMLPoseRunner
    from mmlpose.registry import HOOKS, RUNNERS
    cfg = Config.fromfile(
        os.path.join(
            os.path.dirname(__file__), '..', '..', 'configs', '_base_',
            'default_runtime.py'))
    assert cfg.runner_type == 'MMLPoseRunner' and cfg.load_strict is True
    assert RUNNERS.get('MMLPoseRunner') is MMLPoseRunner
    from mmlpose.engine.hooks import CheckpointHook
    assert HOOKS.get('CheckpointHook') is CheckpointHook
