# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.models.utils import associate_window, gather_tracks


def _people(num_people=4, num_frames=6, seed=0):
    """``(P, F, 15, 2)`` people side by side walking slowly to the right."""
    rng = np.random.default_rng(seed)
    shape = rng.uniform(-40, 40, (num_people, 1, 15, 2))
    shape[..., 1] *= 4  # tall
    centre = np.stack(
        [np.arange(num_people) * 150. + 200,
         np.full(num_people, 500.)], -1)
    drift = np.arange(num_frames)[None, :, None] * np.array([12., 3.])
    kp = shape + centre[:, None, None] + drift[..., None, :]
    return kp + rng.normal(0, 2., kp.shape)


def _shuffle(kp, seed=1, missing=()):
    """Detections ``(F, N, 15, 2)`` in a random order per frame; the
    (frame, person) pairs in ``missing`` are left out (NaN rows)."""
    rng = np.random.default_rng(seed)
    num_people, num_frames = kp.shape[:2]
    det = np.full((num_frames, num_people, 15, 2), np.nan)
    owner = np.full((num_frames, num_people), -1)
    for f in range(num_frames):
        for slot, p in enumerate(rng.permutation(num_people)):
            if (f, p) in missing:
                continue
            det[f, slot] = kp[p, f]
            owner[f, slot] = p
    return det, np.ones(det.shape[:3]), owner


@pytest.mark.parametrize('anchor', [0, 2, 5])
def test_shuffled_detections_reassociated(anchor):
    kp = _people()
    det, sc, owner = _shuffle(kp)
    tracks = associate_window(det, sc, anchor)
    assert tracks.shape == (4, 6) and tracks.dtype == np.int64
    # tracks follow the anchor frame's detection order
    np.testing.assert_array_equal(tracks[:, anchor], np.arange(4))
    for m in range(4):
        people = owner[np.arange(6), tracks[m]]
        assert (people == owner[anchor, m]).all()
    tkp, tsc = gather_tracks(det, sc, tracks)
    for m in range(4):
        np.testing.assert_allclose(tkp[m], kp[owner[anchor, m]], rtol=1e-6)
    assert tsc.shape == (4, 6, 15) and (tsc == 1).all()


def test_missed_people_and_new_arrivals():
    kp = _people()
    # person 3 is missed in frames 1-2 (chained past the gap), person 0 at
    # the anchor (no track for it)
    det, sc, owner = _shuffle(kp, missing={(1, 3), (2, 3), (3, 0)})
    tracks = associate_window(det, sc, anchor=3)
    assert len(tracks) == 3
    for m in range(3):
        p = owner[3, m]
        for f in range(6):
            if tracks[m, f] < 0:
                assert (f, p) in {(1, 3), (2, 3)}
            else:
                assert owner[f, tracks[m, f]] == p
    row3 = int(np.flatnonzero(owner[3] == 3)[0])
    assert (tracks[row3, [1, 2]] == -1).all() and tracks[row3, 0] >= 0
    tkp, tsc = gather_tracks(det, sc, tracks)
    assert np.isnan(tkp[row3, 1]).all() and (tsc[row3, 1] == 0).all()


def test_max_cost_and_low_scores():
    kp = _people(num_people=1, num_frames=2)
    det = np.transpose(kp, (1, 0, 2, 3)).copy()
    det[1, 0] += 1000.  # far jump: not the same person
    tracks = associate_window(det, np.ones(det.shape[:3]), 0)
    np.testing.assert_array_equal(tracks, [[0, -1]])
    # low-score joints are left out of the cost while others are confident
    det = np.transpose(kp, (1, 0, 2, 3)).copy()
    det[1, 0, :5] += 1000.
    sc = np.ones(det.shape[:3])
    sc[1, 0, :5] = 0.1
    np.testing.assert_array_equal(associate_window(det, sc, 0), [[0, 0]])
    np.testing.assert_array_equal(
        associate_window(det, np.ones_like(sc), 0), [[0, -1]])


def test_empty_and_bad_input():
    det = np.full((3, 2, 15, 2), np.nan)
    assert associate_window(det, np.zeros((3, 2, 15)), 1).shape == (0, 3)
    with pytest.raises(ValueError, match='anchor'):
        associate_window(det, np.zeros((3, 2, 15)), 3)
    with pytest.raises(ValueError, match='scores'):
        associate_window(det, np.zeros((3, 2)), 0)
    with pytest.raises(ValueError, match='tracks'):
        gather_tracks(det, np.zeros((3, 2, 15)), np.zeros((1, 2), int))
