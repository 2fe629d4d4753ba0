# FinePOSE (CVPR 2024): D3DP's MixSTE denoiser (512 channels, 8 block pairs)
# driven by fine-grained part-aware prompts (FPP: 7 prompts with learnable
# contexts on a frozen CLIP ViT-B/32 text tower), prompt-pose cross-attention
# after spatial block 0 (FPC) and prompt-driven timestep stylisation (PTS).
# The CLIP hub weights load when training starts (init_weights); building the
# model downloads nothing. Converted public checkpoints carry CLIP weights.
# Test: the paper's H=20 hypotheses, M=10 DDIM steps, flip test, JPMA.
_base_ = ['./d3dp.py']

model = dict(
    head=dict(
        denoiser=dict(
            type='FinePOSEDenoiser',
            prompt_learner=dict(
                type='FinePOSEPromptLearner',
                text_encoder=dict(
                    type='CLIPTextEncoder',
                    pretrained='openai/clip-vit-base-patch32'),
                # (name, text, length): length - 4 learnable vectors, then
                # the first 4 CLIP tokens of the text; '{verb}' = the
                # sample's action verb. Lengths sum to 77.
                prompts=[
                    ('subject', 'A person', 7),
                    ('verb', '{verb}', 12),
                    ('speed', 'speed', 10),
                    ('head', 'head', 10),
                    ('body', 'body', 10),
                    ('arm', 'arm', 14),
                    ('leg', 'leg', 14),
                ],
                mode='learnable+manual',
                num_word_tokens=4,
                proj_index='verb_eot',
                verb_style='joined'),
            text_layers=4,
            text_heads=8,
            text_ff_dim=2048,
            use_fpc=True,
            use_pts=True)),
    test_cfg=dict(
        num_hypotheses=20,
        num_steps=10,
        flip_test=True,
        eta=1.,
        aggregation='jpma'))
