# D3DP (ICCV 2023): a MixSTE denoiser (512 channels, 8 block pairs) predicts
# the clean 3D pose from 2D keypoints and a noisy 3D pose; 1000-step cosine
# schedule, x0 clamped to +-1.1, MPJPE loss on x0. Test: D3DP's public
# defaults, 5 hypotheses, 5 DDIM steps (eta 1), flip test, JPMA (J-Agg).
# JPMA needs 'camera_param' and 'target_root' in PackPoseInputs.meta_keys and
# a codec with normalize_camera=True (configs/_base_/datasets/h36m_lifting.py).
model = dict(
    type='DiffusionPoseLifter',
    head=dict(
        type='DiffusionLiftingHead',
        denoiser=dict(
            type='DiffusionMixSTE',
            in_channels=2,
            pose_channels=3,
            num_keypoints=17,
            seq_len=243,
            embed_dim=512,
            depth=8,
            num_heads=8,
            mlp_ratio=2.,
            drop_path_rate=0.1),
        scheduler=dict(
            type='PoseDDIMScheduler', num_train_timesteps=1000,
            clip_range=1.1),
        loss=dict(type='WeightedMPJPELoss'),
        # the codec's root joint (the datasets/ configs' codec.root_index)
        root_index=0),
    test_cfg=dict(
        num_hypotheses=5,
        num_steps=5,
        flip_test=True,
        eta=1.,
        aggregation='jpma'))
