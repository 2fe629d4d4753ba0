# Copyright (c) mmlpose contributors. All rights reserved.
"""Packaging for mmlpose. The pinned OpenMMLab stack is installed by tools/install.sh."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    with open(osp.join(HERE, 'mmlpose', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(fname: str) -> list:
    """Read a requirements file, dropping comments and blank lines."""
    reqs = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                reqs.append(line)
    return reqs


if __name__ == '__main__':
    setup(
        name='mmlpose',
        version=get_version(),
        description='OpenMMLab toolbox for language-driven 3D human pose '
        'estimation',
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        author='mmlpose contributors',
        keywords='computer vision, 3D human pose estimation, language',
        url='https://github.com/mmlpose/mmlpose',
        packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests',
                                        'projects')),
        include_package_data=True,
        package_data={'mmlpose': ['.mim/**/*']},
        python_requires='>=3.9',
        classifiers=[
            'Programming Language :: Python :: 3',
            'License :: OSI Approved :: Apache Software License',
        ],
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
        },
        zip_safe=False)
