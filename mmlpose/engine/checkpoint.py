# Copyright (c) mmlpose contributors. All rights reserved.
"""Checkpoints you can trust: safe loading, strict matching, atomic saves.

* :func:`safe_load` reads a checkpoint with ``torch.load(weights_only=True)``
  and an explicit allow-list (:func:`safe_globals`) of the few non-tensor
  types that mmengine's and mmlpose's checkpoints hold (the message hub's
  ``HistoryBuffer``, numpy scalars, arrays and dtypes, ``OrderedDict``). A
  file that needs anything else is refused with a one-line
  :class:`CheckpointError` naming the type; ``unsafe=True`` (``--unsafe-load``
  in the tools, ``unsafe_load=True`` in the API) unpickles a trusted file
  without restriction.
* :func:`load_model_checkpoint` loads a state dict into a model and refuses
  missing, unexpected or wrongly-shaped weights unless they are declared
  (``new_keys`` / ``dropped_keys``) or ``strict=False``. Missing and
  unexpected keys are the ones ``nn.Module.load_state_dict(strict=False)``
  reports, so load pre-hooks that refill frozen parts (text encoders left
  out of the state dict) are honoured.
* :func:`atomic_save` and :func:`atomic_write_text` write to a temporary
  file in the same folder, fsync it and ``os.replace`` it onto the target:
  a kill at any moment leaves either the old or the new file, never half of
  one.
* :func:`get_rng_state` / :func:`set_rng_state` capture and restore the
  random states training consumes (Python, numpy, torch CPU and CUDA).

:func:`register_checkpoint_loader` installs :func:`load_from_local` as
mmengine's loader for local files, so every ``load_checkpoint`` (``init_cfg``
``Pretrained``, ``load_from``, ``--resume``) goes through :func:`safe_load`.
"""
import collections
import contextlib
import io
import os
import os.path as osp
import pickle
import random
import re
import zipfile
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

UNSAFE_HINT = ('if you trust the file, pass --unsafe-load '
               '(unsafe_load=True in the API)')
STRICT_HINT = ('use --cfg-options load_strict=False (strict=False in the '
               'API) to load it anyway, or declare expected differences with '
               'load_from_new_keys / load_from_dropped_keys')


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, empty, truncated, not a
    checkpoint, needing unsafe unpickling, or not matching the model. Its
    message is one line naming the file and what is wrong."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist."""


class UnsafeCheckpointError(CheckpointError):
    """The checkpoint needs a type outside the safe allow-list."""

    def __init__(self, message: str, type_name: str = ''):
        super().__init__(message)
        self.type_name = type_name


# ---------------------------------------------------------------------------
# the allow-list
def _numpy_globals() -> List[Any]:
    items: List[Any] = [np.ndarray, np.dtype]
    try:  # numpy >= 2 moved the private modules to numpy._core
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    items += [_reconstruct, scalar]
    try:  # numpy 1.x pickles refer to numpy.core.multiarray by name
        import numpy.core.multiarray as old_multiarray
        items += [(old_multiarray._reconstruct,
                   'numpy.core.multiarray._reconstruct'),
                  (old_multiarray.scalar, 'numpy.core.multiarray.scalar')]
    except (ImportError, AttributeError):  # pragma: no cover
        pass
    # the dtype classes (numpy.dtypes.Float64DType, ...) and scalar types
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [
            getattr(dtypes, name) for name in dir(dtypes) if
            name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    items += [
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
        np.uint32, np.uint64, np.float16, np.float32, np.float64, np.complex64,
        np.complex128, np.str_, np.bytes_
    ]
    return items


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands for ``builtins.getattr`` in checkpoints: a pickled
    ``HistoryBuffer`` refers to its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Only public attributes of
    ``HistoryBuffer`` are served; any other ``getattr`` is refused."""
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and isinstance(name, str) \
            and not name.startswith('_') and callable(
                HistoryBuffer.__dict__.get(name)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL builtins.getattr was not an allowed '
        f'global (getattr({getattr(obj, "__name__", type(obj).__name__)}, '
        f'{name!r}))')


def _mmengine_globals() -> List[Any]:
    items: List[Any] = []
    try:
        from mmengine.logging import HistoryBuffer
        items += [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')]
    except ImportError:  # pragma: no cover
        pass
    try:
        from mmengine.config import ConfigDict
        items.append(ConfigDict)
    except ImportError:  # pragma: no cover
        pass
    return items


_SAFE_GLOBALS: Optional[List[Any]] = None
_EXTRA_SAFE_GLOBALS: List[Any] = []


def safe_globals() -> List[Any]:
    """The types a checkpoint may contain besides tensors and builtin
    containers: mmengine's ``HistoryBuffer`` (message hub) and
    ``ConfigDict``, numpy arrays, scalars and dtypes (the message hub's
    logged values, ``dataset_meta``), ``collections.OrderedDict`` and
    ``collections.defaultdict``, plus those added with
    :func:`add_safe_globals`."""
    global _SAFE_GLOBALS
    if _SAFE_GLOBALS is None:
        _SAFE_GLOBALS = [
            collections.OrderedDict, collections.defaultdict, bytes, bytearray,
            set, frozenset, slice, range, complex, *_numpy_globals(),
            *_mmengine_globals()
        ]
    return _SAFE_GLOBALS + _EXTRA_SAFE_GLOBALS


def add_safe_globals(items: Iterable[Any]) -> None:
    """Allow more types in :func:`safe_load` (like
    ``torch.serialization.add_safe_globals``, but only for our loads)."""
    _EXTRA_SAFE_GLOBALS.extend(items)


# process-wide "trust every checkpoint" switch: set by --unsafe-load and
# unsafe_load=True for the loads that go through mmengine's CheckpointLoader
_UNSAFE_DEPTH = 0


@contextlib.contextmanager
def unsafe_loading(enable: bool = True):
    """Within the block, :func:`load_from_local` (mmengine's loader of local
    checkpoints) unpickles without restriction when ``enable``."""
    global _UNSAFE_DEPTH
    if not enable:
        yield
        return
    _UNSAFE_DEPTH += 1
    try:
        yield
    finally:
        _UNSAFE_DEPTH -= 1


def enable_unsafe_loading() -> None:
    """Trust every checkpoint for the rest of the process (a tool's
    ``--unsafe-load``)."""
    global _UNSAFE_DEPTH
    _UNSAFE_DEPTH += 1


def unsafe_loading_enabled() -> bool:
    return _UNSAFE_DEPTH > 0


_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+) was not an allowed global|'
                        r'[Uu]nsupported global: GLOBAL ([\w.]+)|'
                        r'Unsupported class ([\w.]+)|'
                        r'Trying to call reduce for ([\w.]+)|'
                        r'Can only build Tensor, Parameter, OrderedDict or '
                        r'types allowlisted via add_safe_globals, but got '
                        r'<class \'([\w.]+)\'>')


def _refused_type(message: str) -> Optional[str]:
    match = _GLOBAL_RE.search(message)
    if match is None:
        return None
    return next(g for g in match.groups() if g)


def _check_file(filename: str) -> str:
    filename = osp.expanduser(str(filename))
    if not osp.exists(filename):
        raise CheckpointNotFoundError(f'checkpoint not found: {filename}')
    if osp.isdir(filename):
        raise CheckpointError(f'{filename}: is a folder, not a checkpoint '
                              'file')
    if osp.getsize(filename) == 0:
        raise CheckpointError(f'{filename}: the checkpoint file is empty')
    return filename


def _describe_corrupt(filename: str, error: BaseException) -> str:
    with open(filename, 'rb') as f:
        head = f.read(4)
    reason = str(error).strip().splitlines()[0] if str(error).strip() \
        else type(error).__name__
    if len(reason) > 120:
        reason = reason[:117] + '...'
    if head.startswith(b'PK'):
        if zipfile.is_zipfile(filename):
            what = 'corrupt checkpoint'
        else:
            what = 'truncated or corrupt checkpoint'
    elif head[:1] == b'\x80':
        what = 'truncated or corrupt checkpoint (legacy pickle format)'
    else:
        what = 'not a PyTorch checkpoint'
    return f'{filename}: {what} ({type(error).__name__}: {reason})'


def safe_load(filename: str,
              map_location: Any = 'cpu',
              unsafe: bool = False) -> Any:
    """``torch.load`` a checkpoint file safely.

    Args:
        filename (str): Local checkpoint path.
        map_location: As for ``torch.load``. Defaults to ``'cpu'``.
        unsafe (bool): Unpickle without restriction (only for files you
            trust: a crafted file runs arbitrary code). Defaults to False.

    Raises:
        CheckpointNotFoundError: No such file.
        UnsafeCheckpointError: The file needs a type outside the allow-list;
            the message names it and the flag that allows it.
        CheckpointError: An empty, truncated or corrupt file, or one that is
            not a checkpoint.
    """
    filename = _check_file(filename)
    unsafe = unsafe or unsafe_loading_enabled()
    try:
        if unsafe:
            return torch.load(
                filename, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        name = None if unsafe else _refused_type(str(e))
        if name is not None:
            raise UnsafeCheckpointError(
                f'{filename}: refusing to unpickle {name} (not a tensor, '
                f'number or known checkpoint type); {UNSAFE_HINT}',
                name) from None
        raise CheckpointError(_describe_corrupt(filename, e)) from None
    except (RuntimeError, EOFError, ValueError, KeyError, TypeError,
            AttributeError, IndexError, OSError, zipfile.BadZipFile,
            UnicodeDecodeError, ModuleNotFoundError) as e:
        if isinstance(e, FileNotFoundError):
            raise CheckpointNotFoundError(
                f'checkpoint not found: {filename}') from None
        raise CheckpointError(_describe_corrupt(filename, e)) from None


def load_from_local(filename: str, map_location=None):
    """mmengine ``CheckpointLoader`` scheme for local files: :func:`safe_load`
    (unrestricted inside :func:`unsafe_loading`)."""
    return safe_load(filename, map_location=map_location)


def register_checkpoint_loader() -> None:
    """Make :func:`load_from_local` mmengine's loader of local files."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


# ---------------------------------------------------------------------------
# strict matching
def _matches(key: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if key.startswith(pattern):
            return True
        try:
            if re.match(pattern, key):
                return True
        except re.error:
            pass
    return False


def _examples(keys: Sequence[str], n: int = 3) -> str:
    shown = ', '.join(keys[:n])
    return shown + (', ...' if len(keys) > n else '')


def extract_state_dict(checkpoint: Any, filename: str = 'checkpoint'):
    """The model weights of a loaded checkpoint: its ``state_dict``, or the
    mapping itself when it is one of tensors."""
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(
            f'{filename}: not a checkpoint (a {type(checkpoint).__name__}, '
            'not a dict with a state_dict)')
    if 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
        if not isinstance(state_dict, Mapping):
            raise CheckpointError(
                f'{filename}: its state_dict is a '
                f'{type(state_dict).__name__}, not a mapping of weights')
        return state_dict
    return checkpoint


def load_model_checkpoint(model: nn.Module,
                          filename_or_ckpt: Union[str, Mapping],
                          strict: bool = True,
                          new_keys: Sequence[str] = (),
                          dropped_keys: Sequence[str] = (),
                          unsafe: bool = False,
                          map_location: Any = 'cpu',
                          revise_keys: Sequence = ((r'^module\.', ''), ),
                          filename: Optional[str] = None,
                          logger: Any = 'current') -> Mapping:
    """Load a checkpoint into ``model``, refusing mismatches.

    Args:
        model (nn.Module): The model (model wrappers are unwrapped).
        filename_or_ckpt (str | Mapping): A checkpoint path or a loaded
            checkpoint.
        strict (bool): Raise on weights missing from the checkpoint,
            unexpected in it or of another shape, except those declared by
            ``new_keys`` / ``dropped_keys``; False logs them as a warning.
        new_keys (Sequence[str]): Prefixes or regexes (``re.match``) of
            model weights expected not to be in the checkpoint (new parts of
            a fine-tuned model, or shapes that changed); they keep their
            initialisation.
        dropped_keys (Sequence[str]): Prefixes or regexes of checkpoint keys
            expected to be unused.
        unsafe (bool): Passed to :func:`safe_load`.
        map_location: Passed to :func:`safe_load`.
        revise_keys: ``(pattern, replacement)`` applied to the keys
            (mmengine's default strips ``module.``).
        filename (str, optional): The file's name for messages.

    Returns:
        Mapping: The loaded checkpoint.

    Raises:
        CheckpointError: See :func:`safe_load`, and a mismatch under
            ``strict`` (one line: how many keys, a few examples).
    """
    from mmengine.logging import print_log
    from mmengine.model import is_model_wrapper

    if isinstance(filename_or_ckpt, (str, os.PathLike)):
        filename = filename or str(filename_or_ckpt)
        checkpoint = safe_load(
            str(filename_or_ckpt), map_location=map_location, unsafe=unsafe)
    else:
        checkpoint = filename_or_ckpt
    filename = filename or 'checkpoint'
    state_dict = extract_state_dict(checkpoint, filename)
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = collections.OrderedDict(state_dict)
    for pattern, replacement in revise_keys:
        state_dict = collections.OrderedDict(
            (re.sub(pattern, replacement, k), v)
            for k, v in state_dict.items())
    if metadata is not None:
        state_dict._metadata = metadata

    from mmengine.model import BaseTTAModel
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module

    # weights of another shape keep the model's values (as mmengine does)
    own = model.state_dict()
    mismatched = []
    for key in list(state_dict):
        value, target = state_dict[key], own.get(key)
        if (target is not None and hasattr(value, 'shape')
                and hasattr(target, 'shape')
                and tuple(value.shape) != tuple(target.shape)):
            mismatched.append(f'{key} {tuple(value.shape)} vs '
                              f'{tuple(target.shape)}')
            del state_dict[key]
    mismatched_keys = [m.split(' ')[0] for m in mismatched]

    result = model.load_state_dict(state_dict, strict=False)
    missing = [
        k for k in result.missing_keys
        if 'num_batches_tracked' not in k and k not in mismatched_keys
    ]
    unexpected = list(result.unexpected_keys)

    bad_missing = [k for k in missing if not _matches(k, new_keys)]
    bad_unexpected = [k for k in unexpected if not _matches(k, dropped_keys)]
    bad_shapes = [
        m for m, k in zip(mismatched, mismatched_keys)
        if not _matches(k, new_keys)
    ]
    expected = (
        len(missing) - len(bad_missing) + len(unexpected) -
        len(bad_unexpected) + len(mismatched) - len(bad_shapes))
    if expected:
        print_log(
            f'{filename}: {expected} declared new/dropped weights keep the '
            'model\'s initialisation or are ignored',
            logger=logger)
    if not (bad_missing or bad_unexpected or bad_shapes):
        return checkpoint

    parts = []
    if bad_missing:
        parts.append(f'{len(bad_missing)} of the model\'s '
                     f'{len(own)} weights missing ({_examples(bad_missing)})')
    if bad_unexpected:
        parts.append(f'{len(bad_unexpected)} unexpected keys '
                     f'({_examples(bad_unexpected)})')
    if bad_shapes:
        parts.append(f'{len(bad_shapes)} of another shape '
                     f'({_examples(bad_shapes, 2)})')
    message = f'{filename}: checkpoint does not match the model: ' + \
        '; '.join(parts)
    if strict:
        raise CheckpointError(f'{message}; {STRICT_HINT}')
    import logging
    print_log(
        message + ' (loaded with load_strict=False)',
        logger=logger,
        level=logging.WARNING)
    return checkpoint


# ---------------------------------------------------------------------------
# atomic saves
def _write_bytes(f, data: bytes) -> None:
    """Write ``data`` to the open temporary file (a seam for tests that kill
    the process in the middle of a save)."""
    f.write(data)


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(data: bytes, filename: str) -> None:
    """Write ``data`` to ``filename`` through a temporary file in the same
    folder, fsynced and renamed onto it (``os.replace``)."""
    filename = osp.abspath(osp.expanduser(str(filename)))
    folder = osp.dirname(filename)
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(filename)}.tmp{os.getpid()}')
    try:
        with open(tmp, 'wb') as f:
            _write_bytes(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(folder)
    # temporary files left by a process killed while writing this file
    stale = f'.{osp.basename(filename)}.tmp'
    for name in os.listdir(folder):
        if name.startswith(stale):
            with contextlib.suppress(OSError):
                os.remove(osp.join(folder, name))


def atomic_save(obj: Any, filename: str) -> int:
    """``torch.save`` ``obj`` to ``filename`` atomically; return the size in
    bytes."""
    with io.BytesIO() as buffer:
        torch.save(obj, buffer)
        data = buffer.getvalue()
    atomic_write_bytes(data, filename)
    return len(data)


def atomic_write_text(text: str, filename: str) -> None:
    """Write ``text`` to ``filename`` atomically."""
    atomic_write_bytes(text.encode('utf-8'), filename)


# ---------------------------------------------------------------------------
# random states
def get_rng_state() -> dict:
    """The random states training consumes: Python ``random``, numpy's
    global generator, torch CPU and (when initialised) every CUDA device.
    Only tensors, numbers, strings and numpy arrays: it loads safely."""
    np_state = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(
            name=np_state[0],
            keys=np_state[1],
            pos=int(np_state[2]),
            has_gauss=int(np_state[3]),
            cached_gaussian=float(np_state[4])),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping) -> None:
    """Restore :func:`get_rng_state`'s states."""
    if 'python' in state:
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))
    if 'numpy' in state:
        s = state['numpy']
        np.random.set_state((s['name'], np.asarray(s['keys'], dtype=np.uint32),
                             s['pos'], s['has_gauss'], s['cached_gaussian']))
    if 'torch' in state:
        torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda = [s.cpu() for s in state['cuda']]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        else:
            for i, s in enumerate(cuda[:torch.cuda.device_count()]):
                torch.cuda.set_rng_state(s, i)
