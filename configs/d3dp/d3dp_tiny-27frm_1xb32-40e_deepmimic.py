# Tiny D3DP (64 channels, 2 block pairs, 4 heads, 27 frames) on the DeepMimic
# mini set: trains on CPU in minutes. Test: 4 hypotheses, 2 DDIM steps.
#   python tools/dataset_converters/deepmimic_to_h36m.py --out-dir data/deepmimic
#   python tools/train.py configs/d3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/d3dp.py',
    '../_base_/datasets/deepmimic_lifting_multihyp.py',
    '../_base_/schedules/tiny_adamw_40e.py'
]

num_frames = 27
model = dict(
    head=dict(
        denoiser=dict(
            seq_len=num_frames,
            embed_dim=64,
            depth=2,
            num_heads=4,
            drop_path_rate=0.)),
    test_cfg=dict(num_hypotheses=4, num_steps=2))

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(
        interval=10, save_best='MPJPE', rule='less', max_keep_ckpts=1))
