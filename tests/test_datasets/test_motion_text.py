# Copyright (c) mmlpose contributors. All rights reserved.
"""Fine-grained motion texts from 3D joints, on hand-built motion and on the
real DeepMimic clips."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mmlpose.datasets.converters.motion_text import (compose_text,
                                                     frame_texts,
                                                     measure_motion,
                                                     segment_texts)

# a person standing upright, z-up, facing +y (their left at -x), metres
STAND = np.array([
    [0, 0, .9], [.1, 0, .9], [.1, 0, .5], [.1, 0, .08], [-.1, 0, .9],
    [-.1, 0, .5], [-.1, 0, .08], [0, 0, 1.15], [0, 0, 1.4], [0, 0, 1.55],
    [0, 0, 1.7], [-.2, 0, 1.4], [-.25, 0, 1.15], [-.25, 0, .9],
    [.2, 0, 1.4], [.25, 0, 1.15], [.25, 0, .9]
])
T = 31  # one second at 30 fps


def _still(frames=T):
    return np.repeat(STAND[None], frames, axis=0).copy()


def test_standing_still():
    facts = measure_motion(_still())
    assert facts.active_limbs == [] and facts.raised_arms == []
    assert facts.kicking_legs == [] and facts.travel is None
    assert not facts.airborne and facts.turn is None
    assert not facts.crouching and not facts.on_ground
    text = compose_text('stand', facts)
    assert text.startswith(('a person', 'someone'))
    assert '"stand"' in text and ('in place' in text or 'on the spot' in text)


def test_raising_the_right_arm():
    joints = _still()
    lift = np.linspace(0, 1, T)[:, None]
    # the right wrist goes from the hip to 0.3 m above the head
    joints[:, 16] = (1 - lift) * STAND[16] + lift * np.array([.25, 0, 2.0])
    facts = measure_motion(joints)
    assert facts.raised_arms == ['right arm']
    assert facts.active_limbs == ['right arm']  # 1.1 m in 1 s
    assert facts.limb_speeds['right arm'] == pytest.approx(1.1, rel=1e-6)
    assert 'right arm over the head' in compose_text('wave', facts) or \
        'right arm above the head' in compose_text('wave', facts)


def test_kick_with_the_left_leg():
    joints = _still()
    up = np.sin(np.linspace(0, np.pi, T))[:, None]
    kick_top = np.array([-.1, .6, .95])  # the ankle at hip level, in front
    joints[:, 6] = (1 - up) * STAND[6] + up * kick_top
    facts = measure_motion(joints)
    assert facts.kicking_legs == ['left leg']
    assert 'left leg' in compose_text('kick', facts)
    # the same foot swung only to knee height is no kick
    joints[:, 6] = (1 - up) * STAND[6] + up * np.array([-.1, -.4, .5])
    assert measure_motion(joints).kicking_legs == []


@pytest.mark.parametrize('velocity, travel, fast', [
    ((0, 1., 0), 'forward', False),
    ((0, 2.5, 0), 'forward', True),
    ((0, -1., 0), 'backward', False),
    ((1., 0, 0), 'sideways', False),
])
def test_travel_relative_to_facing(velocity, travel, fast):
    t = np.arange(T)[:, None, None] / 30.
    joints = _still() + t * np.array(velocity)
    facts = measure_motion(joints)
    assert facts.travel == travel
    assert facts.travel_speed == pytest.approx(np.linalg.norm(velocity))
    assert facts.active_limbs == []  # limbs still relative to the body
    assert ('fast' in compose_text('go', facts)) == fast


@pytest.mark.parametrize('degrees, turn', [(90, 'left'), (-90, 'right'),
                                           (10, None)])
def test_turning(degrees, turn):
    angles = np.linspace(0, degrees, T)
    joints = np.stack([
        Rotation.from_euler('z', a, degrees=True).apply(STAND)
        for a in angles
    ])
    assert measure_motion(joints).turn == turn


def test_jump_and_crouch():
    joints = _still()
    rise = 0.3 * np.sin(np.linspace(0, np.pi, T))
    joints[..., 2] += rise[:, None]
    facts = measure_motion(joints)
    assert facts.airborne and not facts.crouching

    joints = _still()
    joints[10:20, :11, 2] *= 0.5  # hips and head down to half height
    joints[10:20, 11:, 2] *= 0.5
    facts = measure_motion(joints, standing_root_height=0.9)
    assert facts.crouching and not facts.airborne


def test_segments_cover_the_clip_and_are_seeded():
    joints = np.concatenate([_still(70), _still(25)])  # 95 frames
    segments = segment_texts(joints, 'stand', fps=30., segment_seconds=1.)
    # 30-frame segments; the 5-frame remainder joins the last one
    assert [(s, e) for s, e, _ in segments] == [(0, 30), (30, 60), (60, 95)]
    assert segment_texts(joints, 'stand', segment_seconds=1.) == segments
    texts = frame_texts(segments, 95)
    assert texts.shape == (95, ) and texts[94] == segments[-1][2]
    # another seed may change the wording, never the facts
    for seed in range(5):
        for _, _, text in segment_texts(
                joints, 'stand', segment_seconds=1., seed=seed):
            assert ('in place' in text) != ('on the spot' in text)


def test_bad_input():
    with pytest.raises(ValueError, match=r'\(T, 17, 3\)'):
        measure_motion(np.zeros((10, 17, 2)))
    with pytest.raises(ValueError, match='at least 2 frames'):
        measure_motion(np.zeros((1, 17, 3)))
    bad = _still()
    bad[3, 4, 1] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        measure_motion(bad)
    with pytest.raises(ValueError, match='empty'):
        compose_text(' ', measure_motion(_still()))
    with pytest.raises(ValueError, match='cover every frame'):
        frame_texts([(0, 10, 'a')], 12)


def test_real_deepmimic_clips():
    pytest.importorskip('pybullet_data')
    from mmlpose.datasets.converters import deepmimic as dm
    humanoid = dm.load_humanoid(dm.default_urdf_path())
    clips = dm.find_clips(dm.default_motion_dir())

    def texts(name):
        joints = dm.clip_to_h36m_world(clips[name], humanoid)
        return ' '.join(t for _, _, t in segment_texts(
            joints, dm.clip_action(name)[1]))

    walk, run, kick = texts('walk'), texts('run'), texts('kick')
    assert 'moving forward' in walk and 'fast' not in walk
    assert 'kick' not in walk and 'jumping' not in walk
    assert 'moving forward fast' in run
    assert 'right leg' in kick and 'kicking' in kick
    assert 'turning left' in texts('turn_left1')
    assert 'turning right' in texts('turn_right1')
    assert 'close to the ground' in texts('crawl')
