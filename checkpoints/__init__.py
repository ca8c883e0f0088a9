"""Shipped zoo checkpoints (data only): ``index.yaml`` and one directory per name.

Installed as the package ``zoo.checkpoints`` so editable and wheel installs both carry them.
"""
