# Table 5 ablation on the tiny CPU variant: CPP without the mask fusion
# block (the 3D skeleton block reads each query's decoder feature).
_base_ = ['./cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py']

model = dict(mask_fusion=None)
