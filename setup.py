"""Package list: zoo's own packages plus checkpoints/, installed as ``zoo.checkpoints``.

The shipped checkpoints live at the top of the repository (see checkpoints/README.md) and
travel inside the package, so ``zoo.load(name)`` works from a wheel as well as a checkout.
All other metadata is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["zoo", "zoo.*"]), "zoo.checkpoints"],
    package_dir={"zoo.checkpoints": "checkpoints"},
)
