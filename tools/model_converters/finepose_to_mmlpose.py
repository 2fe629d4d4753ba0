# Copyright (c) mmlpose contributors. All rights reserved.
"""Convert a public FinePOSE or D3DP checkpoint into an mmlpose checkpoint.

The public ``.bin`` files hold ``model_pos`` with ``module.pose_estimator.*``
keys (and, for FinePOSE, a whole OpenAI CLIP under ``clip_text.``). With a
config, the weights are checked against the model the config builds (every
denoiser weight must be present, of the right shape, and nothing may be left
over) and the result loads with ``strict=True``::

    python tools/model_converters/finepose_to_mmlpose.py \
        checkpoint/model_h36m/best_epoch_20_10.bin finepose_h36m.pth \
        --config configs/finepose/finepose_512d-243frm_1xb4-100e_h36m-cpn.py

Public checkpoints are pickles (they store RNG states): they are read with
``torch.load(weights_only=True)`` and mmlpose's allow-list of checkpoint
types (numpy arrays and scalars included); a file needing any other type is
refused with the type's name. ``--unsafe-load`` unpickles a file you trust
without restriction.
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmlpose.models.utils.finepose_converter import (  # noqa: E402
    DENOISER_PREFIX, convert_finepose_state_dict, load_public_checkpoint,
    merge_into)


def build_model(config: str):
    """The model that ``config`` builds (random weights; nothing is
    downloaded: CLIP hub weights load only in ``init_weights``)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmlpose.registry import MODELS
    from mmlpose.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(cfg.model)
    return model


def convert(src: str,
            dst: str,
            config: Optional[str] = None,
            prefix: str = DENOISER_PREFIX,
            unsafe: bool = False) -> str:
    """Convert ``src`` to ``dst``; return the conversion summary."""
    if not osp.isfile(src):
        raise SystemExit(f'error: checkpoint not found: {src}')
    from mmlpose.engine.checkpoint import CheckpointError
    try:
        checkpoint = load_public_checkpoint(src, unsafe=unsafe)
    except CheckpointError as e:
        raise SystemExit(f'error: {e}') from None
    model = build_model(config) if config else None
    target = model.state_dict() if model is not None else None
    state, report = convert_finepose_state_dict(
        checkpoint, prefix=prefix, target=target)
    if model is not None:
        state = merge_into(target, state)
        model.load_state_dict(state, strict=True)
    meta = dict(
        source=osp.basename(src),
        converter='tools/model_converters/finepose_to_mmlpose.py',
        config=osp.basename(config) if config else None)
    if isinstance(checkpoint, dict) and 'epoch' in checkpoint:
        meta['epoch'] = checkpoint['epoch']
    from mmlpose.engine.checkpoint import atomic_save
    atomic_save(dict(state_dict=state, meta=meta), dst)
    return report.summary()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='public FinePOSE / D3DP checkpoint')
    parser.add_argument('dst', help='output mmlpose checkpoint')
    parser.add_argument(
        '--config', help='mmlpose config to check the weights against')
    parser.add_argument(
        '--prefix',
        default=DENOISER_PREFIX,
        help='prefix of the denoiser in the model (default: %(default)s)')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='unpickle the source without restriction (only a file you '
        'trust)')
    args = parser.parse_args(argv)
    try:
        summary = convert(args.src, args.dst, args.config, args.prefix,
                          unsafe=args.unsafe_load)
    except KeyError as err:
        raise SystemExit(f'error: {err.args[0]}')
    print(summary)
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    sys.exit(main())
