# Ablation of the paper's Table 5: CPP without the mask fusion block (the 3D
# skeleton block reads each query's decoder feature directly).
_base_ = ['./cpp_r152-roberta-swint_stage2_1xb1-10e_panoptic-l3d.py']

model = dict(mask_fusion=None)
