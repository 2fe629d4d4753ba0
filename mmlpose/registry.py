# Copyright (c) mmlpose contributors. All rights reserved.
"""Registries of mmlpose.

Every registry is a child of the matching mmpose registry (itself a child of
mmengine's root), so a config with ``default_scope='mmlpose'`` can build our
modules and, through the parent, every module of mmpose (TCN, DSTFormer,
codecs, losses, metrics) and of mmengine. ``locations`` lets a config's
``type=`` find a module without a manual import; they name only packages
that exist (``tests/test_registry.py`` imports each).
"""
from mmengine.registry import Registry
from mmpose.registry import DATA_SAMPLERS as MMPOSE_DATA_SAMPLERS
from mmpose.registry import DATASETS as MMPOSE_DATASETS
from mmpose.registry import EVALUATORS as MMPOSE_EVALUATORS
from mmpose.registry import HOOKS as MMPOSE_HOOKS
from mmpose.registry import INFERENCERS as MMPOSE_INFERENCERS
from mmpose.registry import KEYPOINT_CODECS as MMPOSE_KEYPOINT_CODECS
from mmpose.registry import LOG_PROCESSORS as MMPOSE_LOG_PROCESSORS
from mmpose.registry import LOOPS as MMPOSE_LOOPS
from mmpose.registry import METRICS as MMPOSE_METRICS
from mmpose.registry import MODEL_WRAPPERS as MMPOSE_MODEL_WRAPPERS
from mmpose.registry import MODELS as MMPOSE_MODELS
from mmpose.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMPOSE_OPTIM_WRAPPER_CONSTRUCTORS
from mmpose.registry import OPTIM_WRAPPERS as MMPOSE_OPTIM_WRAPPERS
from mmpose.registry import OPTIMIZERS as MMPOSE_OPTIMIZERS
from mmpose.registry import PARAM_SCHEDULERS as MMPOSE_PARAM_SCHEDULERS
from mmpose.registry import RUNNER_CONSTRUCTORS as MMPOSE_RUNNER_CONSTRUCTORS
from mmpose.registry import RUNNERS as MMPOSE_RUNNERS
from mmpose.registry import TASK_UTILS as MMPOSE_TASK_UTILS
from mmpose.registry import TRANSFORMS as MMPOSE_TRANSFORMS
from mmpose.registry import VISBACKENDS as MMPOSE_VISBACKENDS
from mmpose.registry import VISUALIZERS as MMPOSE_VISUALIZERS
from mmpose.registry import WEIGHT_INITIALIZERS as MMPOSE_WEIGHT_INITIALIZERS

# runtime
RUNNERS = Registry('runner', parent=MMPOSE_RUNNERS)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMPOSE_RUNNER_CONSTRUCTORS)
LOOPS = Registry(
    'loop', parent=MMPOSE_LOOPS, locations=['mmlpose.engine'])
HOOKS = Registry(
    'hook', parent=MMPOSE_HOOKS, locations=['mmlpose.engine.hooks'])

# data
DATASETS = Registry(
    'dataset', parent=MMPOSE_DATASETS, locations=['mmlpose.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMPOSE_DATA_SAMPLERS,
    locations=['mmlpose.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMPOSE_TRANSFORMS,
    locations=['mmlpose.datasets.transforms'])
# mmlpose defines no codec of its own: configs use mmpose's (through the
# parent), e.g. VideoPoseLifting.
KEYPOINT_CODECS = Registry('KEYPOINT_CODECS', parent=MMPOSE_KEYPOINT_CODECS)

# models: backbones, text encoders, heads, estimators, losses and referrers
# all live in MODELS.
MODELS = Registry(
    'model', parent=MMPOSE_MODELS, locations=['mmlpose.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMPOSE_MODEL_WRAPPERS,
    locations=['mmlpose.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMPOSE_WEIGHT_INITIALIZERS,
    locations=['mmlpose.models'])
TASK_UTILS = Registry(
    'task util',
    parent=MMPOSE_TASK_UTILS,
    locations=[
        'mmlpose.models.utils', 'mmlpose.apis.people', 'mmlpose.engine.tta'
    ])

# optimisation
OPTIMIZERS = Registry(
    'optimizer', parent=MMPOSE_OPTIMIZERS, locations=['mmlpose.engine'])
OPTIM_WRAPPERS = Registry(
    'optimizer_wrapper',
    parent=MMPOSE_OPTIM_WRAPPERS,
    locations=['mmlpose.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMPOSE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmlpose.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMPOSE_PARAM_SCHEDULERS,
    locations=['mmlpose.engine'])

# evaluation
METRICS = Registry(
    'metric', parent=MMPOSE_METRICS, locations=['mmlpose.evaluation.metrics'])
EVALUATORS = Registry(
    'evaluator',
    parent=MMPOSE_EVALUATORS,
    locations=['mmlpose.evaluation'])

# visualisation and inference
VISUALIZERS = Registry(
    'visualizer',
    parent=MMPOSE_VISUALIZERS,
    locations=['mmlpose.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMPOSE_VISBACKENDS,
    locations=['mmlpose.visualization'])
LOG_PROCESSORS = Registry(
    'log processor',
    parent=MMPOSE_LOG_PROCESSORS,
    locations=['mmlpose.visualization'])
INFERENCERS = Registry(
    'inferencer', parent=MMPOSE_INFERENCERS, locations=['mmlpose.apis'])
