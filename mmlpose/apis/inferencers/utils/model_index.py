# Copyright (c) mmlpose contributors. All rights reserved.
"""Model names and aliases from the metafiles (``model-index.yml`` and
``configs/*/metafile.yml``), through mmengine's metafile machinery."""
import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

from mmengine.config import Config, ConfigDict
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.infer import BaseInferencer

# mmengine finds a package's configs and metafiles by its scope name
MODULE2PACKAGE.setdefault('mmlpose', 'mmlpose')

#: The lifter of the demo and of the tools when no model is named: the
#: domain-randomised small MixSTE (configs/mixste/README.md).
DEFAULT_MODEL = 'mixste-small-deepmimic-dr'


def repo_dir() -> str:
    """The folder holding ``configs/`` and ``model-index.yml`` (the
    repository, or ``mmlpose/.mim`` of an installed package)."""
    return BaseInferencer._get_repo_or_mim_dir('mmlpose')


def list_models() -> List[dict]:
    """Every model of the metafiles: dicts with ``Name``, ``Alias``,
    ``Config``, ``Weights`` (may be None) and ``Results``."""
    return list(BaseInferencer._get_models_from_metafile(repo_dir()))


def get_model_aliases() -> Dict[str, str]:
    """alias -> model name, for every alias of the metafiles."""
    aliases = {}
    for entry in list_models():
        names = entry.get('Alias', [])
        for alias in [names] if isinstance(names, str) else names:
            aliases[alias] = entry['Name']
    return aliases


def find_model(name: str) -> dict:
    """The metafile entry whose name or alias is ``name`` (case-blind)."""
    key = name.lower()
    for entry in list_models():
        aliases = entry.get('Alias', [])
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if key == entry['Name'].lower() or key in (a.lower()
                                                   for a in aliases):
            return entry
    known = sorted(get_model_aliases())
    raise ValueError(f'unknown model {name!r}: not a config file, nor a '
                     f'model name or alias of the metafiles (aliases: '
                     f'{", ".join(known)})')


def _local_or_url(path: str, root: str) -> str:
    if '://' in path or osp.isabs(path):
        return path
    return osp.join(root, path)


def resolve_model(
        model: Union[str, Config, ConfigDict, dict],
        weights: Optional[str] = None) -> Tuple[Config, Optional[str]]:
    """The config and weights that ``model`` names.

    Args:
        model: A config path, a model name or alias of the metafiles, or a
            config object / dict.
        weights (str, optional): Overrides the metafile's weights.

    Returns:
        tuple: ``(Config, weights or None)``. Relative paths in metafiles
        are taken from the repository root.

    Raises:
        FileNotFoundError: For a metafile entry whose local weights are
            missing (with how to produce them).
        ValueError: For an unknown name.
    """
    if isinstance(model, (Config, ConfigDict, dict)):
        cfg = model if isinstance(model, Config) else Config(dict(model))
        return cfg, weights
    if not isinstance(model, str):
        raise TypeError('model must be a config path, a model name or '
                        f'alias, or a config, got {type(model).__name__}')
    if osp.isfile(model):
        return Config.fromfile(model), weights
    if model.endswith('.py'):
        raise FileNotFoundError(f'config file not found: {model}')
    entry = find_model(model)
    root = repo_dir()
    cfg = Config.fromfile(osp.join(root, entry['Config']))
    if weights is None and entry.get('Weights'):
        weights = _local_or_url(entry['Weights'], root)
        if '://' not in weights and not osp.isfile(weights):
            raise FileNotFoundError(
                f'the weights of {entry["Name"]} are not at {weights}; '
                f'train them with `python tools/train.py {entry["Config"]}` '
                'or pass weights=<checkpoint>')
    if weights is None:
        raise ValueError(
            f'no weights are published for {entry["Name"]}; pass '
            'weights=<checkpoint> (e.g. from tools/train.py or a converter '
            'under tools/model_converters)')
    return cfg, weights
