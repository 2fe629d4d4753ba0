# Copyright (c) mmlpose contributors. All rights reserved.
"""The tools refuse unsafe, mismatched and broken checkpoints with one-line
errors: tools/test.py (as a subprocess for the crafted file, in this
process for the others), the demo,
tools/misc/publish_model.py and the FinePOSE converter."""
import importlib.util
import os
import os.path as osp
import pathlib
import re
import runpy
import subprocess
import sys

import pytest
import torch

torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'mixste',
                  'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')


class WritesFile:
    """Unpickling it writes a file: what a crafted checkpoint does."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path(self.path), 'pwned'))


def run_in_process(argv):
    """Run a tool in this process; its SystemExit as a CompletedProcess."""
    import io
    from contextlib import redirect_stdout
    out = io.StringIO()
    saved = sys.argv, list(sys.path)
    sys.argv = argv
    sys.path.insert(0, osp.join(REPO, 'tools'))
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with redirect_stdout(out):
            runpy.run_path(osp.join(REPO, argv[0]), run_name='__main__')
        code, err = 0, ''
    except SystemExit as e:
        code, err = 1, str(e) + '\n'
    finally:
        sys.argv, sys.path[:] = saved
        os.chdir(cwd)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err)


def error_line(proc):
    """The tool's one-line error: the last stderr line, no traceback."""
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith('error: '), proc.stderr[-3000:]
    return line


@pytest.fixture(scope='module')
def test_tool_runs(deepmimic_root, tmp_path_factory):
    base = tmp_path_factory.mktemp('ckpt_tools')
    marker = base / 'pwned.txt'
    evil = base / 'evil.pth'
    torch.save(
        dict(state_dict=dict(w=torch.zeros(2)), meta=WritesFile(marker)), evil)
    empty = base / 'empty_state_dict.pth'
    torch.save(dict(state_dict={}, meta=dict(epoch=1)), empty)
    truncated = base / 'truncated.pth'
    torch.save(dict(state_dict=dict(w=torch.randn(4096))), truncated)
    data = truncated.read_bytes()
    truncated.write_bytes(data[:len(data) // 2])
    cases = dict(
        evil=[str(evil)],
        empty=[str(empty)],
        truncated=[str(truncated)],
        evil_trusted=[str(evil), '--unsafe-load'])

    def command(name):
        return [
            sys.executable, 'tools/test.py', CONFIG, *cases[name],
            '--work-dir',
            str(base / name), '--cfg-options',
            f'test_dataloader.dataset.data_root={deepmimic_root}'
        ]

    # the crafted file first, alone: the trusted run writes the marker
    results = dict(
        evil=subprocess.run(
            command('evil'),
            cwd=REPO,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300))
    results['marker_after_evil'] = marker.exists()
    # the others in this process (faster): the tool's SystemExit is the
    # line it prints
    for name in ('empty', 'truncated', 'evil_trusted'):
        results[name] = run_in_process(command(name)[1:])
    results.update(
        marker=marker, paths=dict(evil=evil, empty=empty, truncated=truncated))
    return results


def test_test_tool_refuses_crafted_checkpoint(test_tool_runs):
    line = error_line(test_tool_runs['evil'])
    assert 'refusing to unpickle pathlib.Path' in line
    assert str(test_tool_runs['paths']['evil']) in line
    assert '--unsafe-load' in line
    assert test_tool_runs['marker_after_evil'] is False


def test_unsafe_load_flag_unpickles_a_trusted_file(test_tool_runs):
    # --unsafe-load unpickles it (the payload ran) and the strict check
    # still refuses its state dict
    line = error_line(test_tool_runs['evil_trusted'])
    assert test_tool_runs['marker'].read_text() == 'pwned'
    assert 'does not match the model' in line and '1 unexpected keys (w)' \
        in line


def test_test_tool_refuses_empty_state_dict(test_tool_runs):
    proc = test_tool_runs['empty']
    line = error_line(proc)
    assert str(test_tool_runs['paths']['empty']) in line
    assert 'does not match the model' in line and 'weights missing' in line
    assert 'load_strict=False' in line
    # no metrics of a random model
    assert not re.search(r'^MPJPE\s+[\d.]+$', proc.stdout, re.M)


def test_test_tool_truncated_checkpoint(test_tool_runs):
    line = error_line(test_tool_runs['truncated'])
    assert str(test_tool_runs['paths']['truncated']) in line
    assert 'truncated or corrupt checkpoint' in line


def crafted(tmp_path):
    marker = tmp_path / 'pwned.txt'
    path = tmp_path / 'evil.pth'
    torch.save(
        dict(
            state_dict=dict(w=torch.zeros(2)),
            meta=WritesFile(marker),
            model_pos=dict(w=torch.zeros(2))), path)
    return path, marker


def load_tool(relpath):
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(relpath))[0], osp.join(REPO, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_refuses_crafted_checkpoint(tmp_path):
    path, marker = crafted(tmp_path)
    demo = load_tool('demo/lifting_demo.py')
    with pytest.raises(SystemExit) as info:
        demo.main([
            '--config', CONFIG, '--checkpoint',
            str(path), '--out-dir',
            str(tmp_path / 'out')
        ])
    message = str(info.value)
    assert message.startswith('error: ') and '\n' not in message
    assert 'refusing to unpickle pathlib.Path' in message
    assert not marker.exists()


def test_publish_and_convert_refuse_crafted_checkpoint(tmp_path):
    path, marker = crafted(tmp_path)
    publish = load_tool('tools/misc/publish_model.py')
    with pytest.raises(SystemExit, match='refusing to unpickle pathlib'):
        publish.publish(str(path), str(tmp_path / 'slim.pth'))
    converter = load_tool('tools/model_converters/finepose_to_mmlpose.py')
    with pytest.raises(SystemExit, match='refusing to unpickle pathlib'):
        converter.convert(str(path), str(tmp_path / 'converted.pth'))
    assert not marker.exists()
    assert not (tmp_path / 'slim.pth').exists()
