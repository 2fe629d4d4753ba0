# Runtime shared by every mmlpose config. ``default_scope='mmlpose'`` builds
# our modules and, through the parent registries, mmpose's and mmengine's.
default_scope = 'mmlpose'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='LiftingVisualizationHook', enable=False))

custom_hooks = [dict(type='SyncBuffersHook')]

# tools/train.py and tools/test.py switch the backend to gloo without a GPU.
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Pose3dLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(
    type='LogProcessor', window_size=50, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
backend_args = dict(backend='local')

# train_cfg (loop and epochs) comes from a schedule or the config itself.
val_cfg = dict()
test_cfg = dict()

# mmlpose's runner (mmlpose/engine/runner.py): checkpoints load safely
# (torch weights_only with an allow-list; unsafe_load=True / --unsafe-load
# for a trusted pickle) and strictly (load_strict=False to accept missing or
# unexpected weights; load_from_new_keys / load_from_dropped_keys declare the
# expected differences when fine-tuning from load_from), are saved
# atomically with the random states, and --resume continues bit-exactly.
runner_type = 'MMLPoseRunner'
load_strict = True
unsafe_load = False
load_from_new_keys = []
load_from_dropped_keys = []
