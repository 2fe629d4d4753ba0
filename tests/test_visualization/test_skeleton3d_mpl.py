# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np

from mmlpose.visualization import MatplotlibSkeleton3DRenderer

POSE = np.array([[0, 0, 0], [-.13, 0, 0], [-.15, .45, 0], [-.15, .88, 0],
                 [.13, 0, 0], [.15, .45, 0], [.15, .88, 0], [0, -.25, 0],
                 [0, -.5, 0], [0, -.6, -.05], [0, -.7, 0], [.18, -.48, 0],
                 [.45, -.48, 0], [.7, -.48, 0], [-.18, -.48, 0],
                 [-.45, -.48, 0], [-.7, -.48, 0]])


def test_matplotlib_reference_renderer():
    renderer = MatplotlibSkeleton3DRenderer(161, 120, azim_step=30.)
    first = renderer.render(POSE, 0, title='t')
    assert first.shape == (120, 161, 3) and first.dtype == np.uint8
    assert not np.array_equal(first, renderer.render(POSE, 2))
    assert not np.array_equal(first, renderer.render(None, 0))
    renderer.close()
