# Copyright (c) mmlpose contributors. All rights reserved.
"""Fine-grained motion descriptions generated from 3D joints.

LangPose's stage 1 pretrains on action-labelled motion with fine-grained
texts. DeepMimic clips carry one action name each ("spin kick"); this module
composes, for every segment of a clip, a sentence from the action and what
its 3D shows (which limb moves, how fast, up or down; whether the body
travels, jumps, turns or crouches), e.g. "a person does a spin kick while
turning, kicking with the right leg and swinging the arms quickly".

The procedure is deterministic given ``seed``: the facts come from fixed
thresholds on the joints (named constants below, in metres, seconds and
degrees), and the seed only chooses among synonymous wordings.

Joints are Human3.6M-17 in a z-up world frame, metres (as written by
:func:`mmlpose.datasets.converters.deepmimic.clip_to_h36m_world`).
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

ROOT, R_HIP, R_FOOT, L_HIP, L_FOOT = 0, 1, 3, 4, 6
THORAX, HEAD = 8, 10
L_WRIST, R_WRIST = 13, 16

#: End effector of each limb and its anchor joint (speeds are relative to
#: the anchor, so travelling does not count as limb motion).
LIMBS = {
    'left arm': (L_WRIST, THORAX),
    'right arm': (R_WRIST, THORAX),
    'left leg': (L_FOOT, ROOT),
    'right leg': (R_FOOT, ROOT),
}
#: Mean speed (m/s) of an end effector relative to its anchor above which
#: the limb is said to move.
LIMB_ACTIVE_SPEED = 0.5
#: Above this mean speed (m/s) a limb moves "quickly"; below
#: LIMB_SLOW_SPEED "slowly".
LIMB_FAST_SPEED = 1.5
LIMB_SLOW_SPEED = 0.8
#: A wrist this far (m) above the head on some frame: the arm is raised.
ARM_RAISED_ABOVE_HEAD = 0.05
#: A foot (ankle) higher than the root minus this (m), i.e. about at hip
#: level or above, while the other foot is lower than FOOT_GROUNDED_HEIGHT:
#: a kick, on upright frames (head above GROUND_HEAD_HEIGHT, root above
#: CROUCH_ROOT_FRACTION of standing). (A running stride's swing stays about
#: 0.25 m below the root, a walk's 0.6 m.)
KICK_FOOT_BELOW_ROOT = 0.15
FOOT_GROUNDED_HEIGHT = 0.15
#: Horizontal root speed (m/s): below it the person stays in place; above
#: TRAVEL_RUN_SPEED they move fast.
TRAVEL_MIN_SPEED = 0.3
TRAVEL_RUN_SPEED = 1.8
#: Both feet (ankles) above this height (m) while the root is above
#: AIRBORNE_ROOT_FRACTION of its standing height: the person is airborne
#: (not a crawl or a roll, whose feet leave the ground low down).
AIRBORNE_FOOT_HEIGHT = 0.15
AIRBORNE_ROOT_FRACTION = 0.9
#: Root below this fraction of its standing height: crouching.
CROUCH_ROOT_FRACTION = 0.7
#: Head below this height (m): on the ground (lying, rolling, crawling).
GROUND_HEAD_HEIGHT = 0.6
#: Net yaw change (degrees) of the hips over a segment: turning.
TURN_MIN_DEGREES = 25.
#: Default segment length (s).
SEGMENT_SECONDS = 2.0

SUBJECTS = ('a person', 'someone')


@dataclass
class MotionFacts:
    """What one segment's 3D shows.

    Attributes:
        active_limbs (list[str]): Limbs that move, fastest first.
        limb_speeds (dict): limb -> mean speed (m/s) relative to its anchor.
        raised_arms (list[str]): Arms whose wrist goes above the head.
        kicking_legs (list[str]): Legs whose foot comes up to hip level
            while the other stays on the ground.
        travel (str | None): ``'forward'``/``'backward'``/``'sideways'``
            relative to the hips' facing, ``None`` when in place.
        travel_speed (float): Horizontal root speed (m/s).
        airborne (bool): Both feet off the ground on some frame.
        turn (str | None): ``'left'`` or ``'right'`` (z-up, seen from
            above: counter-clockwise is left), None when not turning.
        crouching (bool): The root goes low.
        on_ground (bool): The head goes near the ground.
    """
    active_limbs: List[str] = field(default_factory=list)
    limb_speeds: dict = field(default_factory=dict)
    raised_arms: List[str] = field(default_factory=list)
    kicking_legs: List[str] = field(default_factory=list)
    travel: Optional[str] = None
    travel_speed: float = 0.
    airborne: bool = False
    turn: Optional[str] = None
    crouching: bool = False
    on_ground: bool = False


def _check_joints(joints: np.ndarray) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (17, 3):
        raise ValueError('joints must have shape (T, 17, 3) (H36M joints, '
                         f'z-up metres), got {joints.shape}')
    if len(joints) < 2:
        raise ValueError('a motion segment needs at least 2 frames, got '
                         f'{len(joints)}')
    if not np.isfinite(joints).all():
        raise ValueError('joints contain NaN or inf')
    return joints


def _yaw(joints: np.ndarray) -> np.ndarray:
    """(T,) facing angle (radians, unwrapped) of the hips: the forward
    direction is the left-to-right hip vector turned 90 degrees (z-up)."""
    hips = joints[:, L_HIP, :2] - joints[:, R_HIP, :2]
    # forward = z x (left - right) ... for a person facing +y with left hip
    # at -x: left - right = (-1, 0), forward = (0, 1) = rot90(cw)
    forward = np.stack([hips[:, 1], -hips[:, 0]], axis=-1)
    return np.unwrap(np.arctan2(forward[:, 1], forward[:, 0]))


def standing_height(joints: np.ndarray) -> float:
    """The root's standing height (m): the 90th percentile of its height
    over the frames where a foot is on the ground (lower than
    FOOT_GROUNDED_HEIGHT), or over all frames when none is."""
    joints = _check_joints(joints)
    low_feet = np.minimum(joints[:, L_FOOT, 2], joints[:, R_FOOT, 2])
    grounded = low_feet < FOOT_GROUNDED_HEIGHT
    root_z = joints[grounded if grounded.any() else slice(None), ROOT, 2]
    return float(np.percentile(root_z, 90))


def measure_motion(joints: np.ndarray,
                   fps: float = 30.,
                   standing_root_height: Optional[float] = None
                   ) -> MotionFacts:
    """Measure a segment's :class:`MotionFacts`.

    Args:
        joints (np.ndarray): ``(T, 17, 3)`` H36M joints, z-up world, metres,
            ground at z = 0.
        fps (float): Frame rate. Defaults to 30.
        standing_root_height (float, optional): The person's standing root
            height (for crouching and jumps); defaults to
            :func:`standing_height` of the segment.

    Returns:
        MotionFacts: The measured facts.
    """
    joints = _check_joints(joints)
    if fps <= 0:
        raise ValueError(f'fps must be positive, got {fps}')
    duration = (len(joints) - 1) / fps
    facts = MotionFacts()

    for limb, (end, anchor) in LIMBS.items():
        rel = joints[:, end] - joints[:, anchor]
        speed = float(np.linalg.norm(np.diff(rel, axis=0), axis=-1).mean() *
                      fps)
        facts.limb_speeds[limb] = speed
    facts.active_limbs = sorted(
        (limb for limb, s in facts.limb_speeds.items()
         if s > LIMB_ACTIVE_SPEED),
        key=lambda limb: -facts.limb_speeds[limb])

    head_z = joints[:, HEAD, 2]
    for limb, wrist in (('left arm', L_WRIST), ('right arm', R_WRIST)):
        if np.any(joints[:, wrist, 2] > head_z + ARM_RAISED_ABOVE_HEAD):
            facts.raised_arms.append(limb)
    yaw = _yaw(joints)
    standing = standing_root_height or standing_height(joints)
    root_z = joints[:, ROOT, 2]
    # upright frames only: lying or crawling, feet and hips are level
    upright = (head_z > GROUND_HEAD_HEIGHT) & (
        root_z > CROUCH_ROOT_FRACTION * standing)
    feet = {'left leg': L_FOOT, 'right leg': R_FOOT}
    for limb, other in (('left leg', 'right leg'), ('right leg', 'left leg')):
        kick = upright & (joints[:, feet[limb], 2] >
                          root_z - KICK_FOOT_BELOW_ROOT) & (
                              joints[:, feet[other], 2] < FOOT_GROUNDED_HEIGHT)
        if kick.any():
            facts.kicking_legs.append(limb)

    root_xy = joints[:, ROOT, :2]
    shift = root_xy[-1] - root_xy[0]
    facts.travel_speed = float(np.linalg.norm(shift) / duration)
    if facts.travel_speed >= TRAVEL_MIN_SPEED:
        mean_yaw = float(np.angle(np.exp(1j * yaw).mean()))
        forward = np.array([np.cos(mean_yaw), np.sin(mean_yaw)])
        along = float(shift @ forward) / np.linalg.norm(shift)
        facts.travel = 'forward' if along > 0.5 else (
            'backward' if along < -0.5 else 'sideways')

    low_feet = np.minimum(joints[:, L_FOOT, 2], joints[:, R_FOOT, 2])
    facts.airborne = bool(
        np.any((low_feet > AIRBORNE_FOOT_HEIGHT)
               & (joints[:, ROOT, 2] > AIRBORNE_ROOT_FRACTION * standing)
               & (head_z > GROUND_HEAD_HEIGHT)))

    turn = float(np.degrees(yaw[-1] - yaw[0]))
    if abs(turn) >= TURN_MIN_DEGREES:
        facts.turn = 'left' if turn > 0 else 'right'

    facts.crouching = bool(
        np.any(joints[:, ROOT, 2] < CROUCH_ROOT_FRACTION * standing))
    facts.on_ground = bool(np.any(head_z < GROUND_HEAD_HEIGHT))
    return facts


def _limb_phrases(facts: MotionFacts, rng: np.random.Generator) -> List[str]:
    phrases = []
    named = set()
    for leg in facts.kicking_legs:
        phrases.append(
            rng.choice([f'kicking with the {leg}', f'kicking the {leg} up']))
        named.add(leg)
    raised = facts.raised_arms
    if len(raised) == 2:
        phrases.append(
            rng.choice(['raising both arms above the head',
                        'lifting both arms over the head']))
        named.update(raised)
    for arm in raised if len(raised) == 1 else ():
        phrases.append(
            rng.choice([f'raising the {arm} above the head',
                        f'lifting the {arm} over the head']))
        named.add(arm)
    rest = [limb for limb in facts.active_limbs if limb not in named]
    arms = [limb for limb in rest if 'arm' in limb]
    legs = [limb for limb in rest if 'leg' in limb]
    for group, plural in ((arms, 'the arms'), (legs, 'the legs')):
        if not group:
            continue
        speed = np.mean([facts.limb_speeds[limb] for limb in group])
        how = ' quickly' if speed > LIMB_FAST_SPEED else (
            ' slowly' if speed < LIMB_SLOW_SPEED else '')
        what = plural if len(group) == 2 else f'the {group[0]}'
        verb = rng.choice(['swinging', 'moving'])
        phrases.append(f'{verb} {what}{how}')
    return phrases


def compose_text(action: str,
                 facts: MotionFacts,
                 rng: Optional[np.random.Generator] = None) -> str:
    """One sentence from an action name and a segment's facts.

    Args:
        action (str): The clip's action text (``'spin kick'``, ``'walk'``).
        facts (MotionFacts): From :func:`measure_motion`.
        rng (np.random.Generator, optional): Chooses among synonymous
            wordings; ``np.random.default_rng(0)`` when None.

    Returns:
        str: E.g. ``'a person does a spin kick while turning left, kicking
        with the right leg and swinging the arms quickly'``.
    """
    if not action or not action.strip():
        raise ValueError('the action text is empty')
    rng = rng if rng is not None else np.random.default_rng(0)
    subject = rng.choice(SUBJECTS)
    head = f'{subject} performs the action "{action.strip()}"'
    whole = []
    if facts.on_ground:
        whole.append('close to the ground')
    elif facts.crouching:
        whole.append('crouching low')
    if facts.travel is not None:
        fast = facts.travel_speed > TRAVEL_RUN_SPEED
        whole.append(f'moving {facts.travel}' + (' fast' if fast else ''))
    else:
        whole.append(rng.choice(['in place', 'on the spot']))
    if facts.airborne:
        whole.append(rng.choice(['leaving the ground', 'jumping']))
    if facts.turn is not None:
        whole.append(f'turning {facts.turn}')
    parts = whole + _limb_phrases(facts, rng)
    if len(parts) == 1:
        return f'{head}, {parts[0]}'
    return f'{head}, {", ".join(parts[:-1])} and {parts[-1]}'


def segment_texts(joints: np.ndarray,
                  action: str,
                  fps: float = 30.,
                  segment_seconds: float = SEGMENT_SECONDS,
                  seed: int = 0) -> List[Tuple[int, int, str]]:
    """Fine-grained texts for consecutive segments of one clip.

    The clip is cut into segments of ``segment_seconds`` (the last one
    takes the remainder when it is at least half a segment, else it joins
    the previous one); each is measured (:func:`measure_motion`, crouching
    relative to the clip's standing height) and described
    (:func:`compose_text`) with an RNG seeded from ``seed`` and the segment
    index, so the texts do not depend on which other clips are described.

    Returns:
        list[tuple]: ``(start, end, text)`` per segment, frames ``[start,
        end)``.
    """
    joints = _check_joints(joints)
    if segment_seconds <= 0:
        raise ValueError('segment_seconds must be positive, got '
                         f'{segment_seconds}')
    length = max(int(round(segment_seconds * fps)), 2)
    bounds = list(range(0, len(joints), length)) + [len(joints)]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < length / 2:
        del bounds[-2]
    standing = standing_height(joints)
    texts = []
    for i, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        if end - start < 2:
            continue
        facts = measure_motion(joints[start:end], fps, standing)
        rng = np.random.default_rng([seed, i])
        texts.append((start, end, compose_text(action, facts, rng)))
    return texts


def frame_texts(segments: Sequence[Tuple[int, int, str]],
                num_frames: int) -> np.ndarray:
    """``(num_frames,)`` array of each frame's segment text."""
    out = np.empty(num_frames, dtype=object)
    for start, end, text in segments:
        out[start:end] = text
    if any(t is None for t in out):
        raise ValueError('the segments do not cover every frame')
    return out.astype(str)
