# Copyright (c) mmlpose contributors. All rights reserved.
from .clip_text_encoder import CLIPTextEncoder
from .clip_tokenizer import build_clip_tokenizer, clip_tokenize
from .finepose_prompt import (FINEPOSE_3DHP_PROMPTS, FINEPOSE_H36M_PROMPTS,
                              FinePOSEPromptLearner, action_verb)
from .langpose_text_encoder import LangPoseTextEncoder
from .sentence_encoder import SentenceEncoder

__all__ = [
    'CLIPTextEncoder', 'build_clip_tokenizer', 'clip_tokenize',
    'FinePOSEPromptLearner', 'FINEPOSE_H36M_PROMPTS', 'FINEPOSE_3DHP_PROMPTS',
    'action_verb', 'SentenceEncoder', 'LangPoseTextEncoder'
]
