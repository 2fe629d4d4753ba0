# FinePOSE, MPI-INF-3DHP, 243 frames, ground-truth 2D. 3DHP has no action
# labels: as in the authors' 3DHP model, the verb prompt is dropped, the six
# other prompts get longer contexts (9, 12, 12, 12, 16, 16 = 77) and the
# projected prompt token is the last one (index 76). Samples carry
# action_text='a person', which these prompts do not use.
# Note: the authors train and test on the 'annot3' 3D poses (not the
# height-normalised 'univ_annot3'), so that JPMA's reprojection is exact.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/finepose.py',
    '../_base_/datasets/mpi_inf_3dhp_lifting.py',
    '../_base_/schedules/diffusion_adamw_100e.py'
]

num_frames = 243
model = dict(
    head=dict(
        denoiser=dict(
            seq_len=num_frames,
            prompt_learner=dict(
                prompts=[
                    ('subject', 'A person', 9),
                    ('speed', 'speed', 12),
                    ('head', 'head', 12),
                    ('body', 'body', 12),
                    ('arm', 'arm', 16),
                    ('leg', 'leg', 16),
                ],
                proj_index=76)),
        root_index=_base_.codec.root_index))

train_dataloader = dict(
    batch_size=4, dataset=dict(multiple_target=num_frames))
val_dataloader = dict(batch_size=4, dataset=dict(multiple_target=num_frames))
test_dataloader = val_dataloader

default_hooks = dict(
    checkpoint=dict(save_best='PCK', rule='greater', max_keep_ckpts=1))

# PCK / AUC / MPJPE of the J-Agg output, plus every aggregation labelled.
val_evaluator = [
    dict(type='PCK3D'),
    dict(type='MultiHypothesisMPJPE', modes=('mpjpe', 'p-mpjpe')),
]
test_evaluator = val_evaluator
