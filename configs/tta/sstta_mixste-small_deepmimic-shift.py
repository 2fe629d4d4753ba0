# Semantics-aware test-time adaptation of the default lifter (the
# domain-randomised small MixSTE), the full method (+ alignment, + 2D EMA,
# + fill-in): the last row of the ablation in configs/tta/README.md.
# Test set: the shifted DeepMimic benchmark, the 4 held-out clips filmed with
# cameras, bodies and 2D noise outside the training ranges and whole limbs
# occluded for long spans (SHIFTED_RANDOMIZATION), at 30 and 60 fps, 2
# scenes each: 16 videos.
#   python tools/tta.py configs/tta/sstta_mixste-small_deepmimic-shift.py \
#       checkpoints/mixste_small_deepmimic_dr.pth test
#   python tools/tta.py configs/tta/sstta_mixste-small_deepmimic-shift.py \
#       checkpoints/mixste_small_deepmimic_dr.pth VIDEO --text "..."
_base_ = [
    '../mixste/mixste_small-27frm_1xb64-40e_deepmimic-dr.py',
    '../_base_/tta/semantic_tta.py'
]

test_dataloader = dict(
    dataset=dict(
        clips='test',
        fps=(30., 60.),
        randomization='shifted',
        seed=0,
        repeat=1,
        scenes_per_clip=2))
