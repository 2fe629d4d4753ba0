# MixSTE (CVPR 2022) lifter: 512 channels, 8 spatial/temporal block pairs.
# Loss as in the paper's code: joint-weighted MPJPE + 0.5 x temporal
# consistency + 2.0 x velocity error.
joint_weights = [
    1., 1., 2.5, 2.5, 1., 2.5, 2.5, 1., 1., 1., 1.5, 1.5, 4., 4., 1.5, 4., 4.
]
model = dict(
    type='SeqPoseLifter',
    backbone=dict(
        type='MixSTE',
        in_channels=2,
        num_keypoints=17,
        seq_len=243,
        embed_dim=512,
        depth=8,
        num_heads=8,
        mlp_ratio=2.,
        drop_path_rate=0.1),
    head=dict(
        type='SeqRegressionHead',
        in_channels=512,
        out_channels=3,
        root_index=0,  # the codec's root joint (datasets/ configs)
        loss=[
            dict(type='WeightedMPJPELoss', joint_weights=joint_weights),
            dict(
                type='TemporalConsistencyLoss',
                joint_weights=joint_weights,
                loss_weight=0.5),
            dict(type='MPJVELoss', loss_weight=2.0),
        ]),
    test_cfg=dict(flip_test=True))
