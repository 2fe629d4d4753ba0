# Copyright (c) mmlpose contributors. All rights reserved.
import time

import numpy as np
import pytest

from mmlpose.visualization import (H36M_JOINT_SIDES, H36M_LINKS, SIDE_COLORS,
                                   Skeleton3DRenderer, draw_skeleton_2d,
                                   link_side)

# a T-pose in camera axes (x right, y down, z forward), metres, root at 0
T_POSE = np.array([[0, 0, 0], [-.13, 0, 0], [-.15, .45, 0], [-.15, .88, 0],
                   [.13, 0, 0], [.15, .45, 0], [.15, .88, 0], [0, -.25, 0],
                   [0, -.5, 0], [0, -.6, -.05], [0, -.7, 0], [.18, -.48, 0],
                   [.45, -.48, 0], [.7, -.48, 0], [-.18, -.48, 0],
                   [-.45, -.48, 0], [-.7, -.48, 0]])


def test_link_colours_at_projected_points():
    renderer = Skeleton3DRenderer(400, 360)
    image = renderer.render(T_POSE, frame_idx=0)
    uv = renderer.project(T_POSE, frame_idx=0)
    # wrists, ankles, head: joint dots in their side's colour
    for joint in (3, 6, 10, 13, 16):
        u, v = np.round(uv[joint]).astype(int)
        assert tuple(image[v, u]) == SIDE_COLORS[H36M_JOINT_SIDES[joint]]
    # middles of the forearms and shins: links in their side's colour
    for a, b in ((12, 13), (15, 16), (2, 3), (5, 6)):
        u, v = np.round((uv[a] + uv[b]) / 2).astype(int)
        assert tuple(image[v, u]) == SIDE_COLORS[link_side((a, b))]


def test_projection_hand_computed():
    # azim -90, elev 0, orthographic: the input camera's own view
    renderer = Skeleton3DRenderer(
        300, 300, elev=0., azim=-90., azim_step=90., projection='ortho')
    points = np.array([[0, 0, 0], [.5, 0, 0], [0, -.5, 0], [0, 0, .5]])
    uv = renderer.project(points, 0)
    s = renderer.scale
    np.testing.assert_allclose(
        uv[1:] - uv[0], [[.5 * s, 0], [0, -.5 * s], [0, 0]], atol=1e-9)
    # a quarter turn later (azim 0) the viewer looks along the x axis: depth
    # (z) runs to the right, x is depth
    uv = renderer.project(points, 1)
    np.testing.assert_allclose(
        uv[1:] - uv[0], [[0, 0], [0, -.5 * s], [.5 * s, 0]], atol=1e-9)
    assert renderer.azimuth(3) == 180.


def test_perspective_magnifies_near_points():
    renderer = Skeleton3DRenderer(300, 300, elev=0., azim=-90.)
    # with azim -90 the viewer stands at negative camera z
    near, far = renderer.project(np.array([[.5, 0, -.5], [.5, 0, .5]]))
    centre = renderer.project(np.zeros((1, 3)))[0]
    assert near[0] - centre[0] > far[0] - centre[0] > 0


def test_azimuth_changes_the_image():
    renderer = Skeleton3DRenderer(200, 200, azim_step=10.)
    first = renderer.render(T_POSE, 0)
    assert not np.array_equal(first, renderer.render(T_POSE, 3))
    np.testing.assert_array_equal(first, renderer.render(T_POSE, 0))
    # the empty view turns as well (floor grid and cube)
    assert not np.array_equal(
        renderer.render(None, 0), renderer.render(None, 3))


def test_none_shows_the_note_and_no_skeleton():
    renderer = Skeleton3DRenderer(300, 300)
    empty = renderer.render(None, 5)
    below_title = empty[renderer._title_h:]
    # no side colour outside the legend
    for color in SIDE_COLORS.values():
        assert not (below_title == color).all(axis=-1).any()
    # the grey note around the centre
    cu, cv = (int(c) for c in renderer.center)
    centre = empty[cv - 20:cv + 20, cu - 80:cu + 80]
    assert (centre == Skeleton3DRenderer.NOTE).all(axis=-1).sum() > 50
    skeleton = renderer.render(T_POSE, 5)[cv - 20:cv + 20, cu - 80:cu + 80]
    assert (skeleton == Skeleton3DRenderer.NOTE).all(axis=-1).sum() == 0


@pytest.mark.parametrize('size', [(321, 200), (994, 994), (64, 97)])
def test_sizes_are_exact(size):
    width, height = size
    renderer = Skeleton3DRenderer(width, height)
    for keypoints in (T_POSE, None):
        image = renderer.render(keypoints, 7, title='t')
        assert image.shape == (height, width, 3) and image.dtype == np.uint8


def test_bgr_and_out():
    rgb = Skeleton3DRenderer(200, 180).render(T_POSE, 2)
    renderer = Skeleton3DRenderer(200, 180, channel_order='bgr')
    canvas = np.full((180, 300, 3), 7, np.uint8)
    result = renderer.render(T_POSE, 2, out=canvas[:, 100:])
    np.testing.assert_array_equal(canvas[:, 100:], rgb[..., ::-1])
    assert (canvas[:, :100] == 7).all()
    assert np.shares_memory(result, canvas)
    with pytest.raises(ValueError, match='out must be'):
        renderer.render(T_POSE, out=canvas)


def test_bad_input():
    renderer = Skeleton3DRenderer(100, 100)
    with pytest.raises(
            ValueError, match=r'must have shape \(17, 3\), got '
            r'\(17, 2\)') as e:
        renderer.render(T_POSE[:, :2])
    assert '\n' not in str(e.value)
    bad = T_POSE.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match='non-finite'):
        renderer.render(bad)
    with pytest.raises(ValueError, match='projection'):
        Skeleton3DRenderer(100, 100, projection='fisheye')
    with pytest.raises(ValueError, match='at least 32x32'):
        Skeleton3DRenderer(10, 100)


def test_fast_enough():
    renderer = Skeleton3DRenderer(994, 994, channel_order='bgr')
    renderer.render(T_POSE, 0)
    start = time.perf_counter()
    for i in range(50):
        renderer.render(T_POSE, i)
    # about 1 ms a frame on one core; 20 ms is the old matplotlib's 50 fps
    assert (time.perf_counter() - start) / 50 < 0.02


def test_draw_skeleton_2d_colours_and_missing_joints():
    image = np.zeros((200, 200, 3), np.uint8)
    keypoints = T_POSE[:, :2] * 100 + 100
    scores = np.ones(17)
    scores[16] = 0.1  # uncertain right wrist: grey
    keypoints[9] = np.nan  # missing neck base: not drawn, nor its links
    draw_skeleton_2d(image, keypoints, scores, thickness=3)
    assert tuple(image[int(keypoints[13, 1]), int(keypoints[13, 0])]) == \
        tuple(reversed(SIDE_COLORS['L']))
    assert tuple(image[int(keypoints[16, 1]), int(keypoints[16, 0])]) == \
        (160, 160, 160)
    # the head (10) is drawn, the link 9-10 is not
    assert image[int(keypoints[10, 1]), int(keypoints[10, 0])].any()
    assert not image[int(keypoints[10, 1]) + 7, 100].any()
    with pytest.raises(ValueError, match=r'keypoints must have shape'):
        draw_skeleton_2d(image, keypoints[:5])
    with pytest.raises(ValueError, match=r'scores must have shape'):
        draw_skeleton_2d(image, keypoints, scores[:3])
    assert len(H36M_LINKS) == 16


def test_far_off_keypoints_do_not_break_the_view():
    renderer = Skeleton3DRenderer(200, 200)
    far = T_POSE.copy()
    far[10] = (0., -1e9, -1e9)  # behind the viewer and far away
    image = renderer.render(far, 0)
    assert image.shape == (200, 200, 3)
