# The tiny RVOS + 3DHPE cascade trained for a second 2,000-iteration round:
# it loads the 2,000-iteration checkpoint and runs the same schedule again
# (lr restarted at 4e-4, x0.1 after 1,600), 4,000 iterations in all.
#   python tools/train.py configs/cascade/rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes.py
#   python tools/train.py configs/cascade/rvos-referformer_r18-minilm_1xb2-2000it-ft2000it_l3d-scenes.py
#   python tools/test.py configs/cascade/rvos-referformer_r18-minilm_1xb2-2000it-ft2000it_l3d-scenes.py \
#       work_dirs/rvos-referformer_r18-minilm_1xb2-2000it-ft2000it_l3d-scenes/iter_2000.pth
_base_ = ['./rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes.py']

load_from = 'work_dirs/rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes/iter_2000.pth'  # noqa: E501
