"""The training pipeline behind ``zoo run`` and ``zoo finetune``, callable from Python.

- :mod:`zoo.pipeline.recipe`: a recipe (YAML file or dict) parsed and built by LightningCLI;
- :mod:`zoo.pipeline.run`: fit, test the best weights as stored, export (``zoo.run``);
- :mod:`zoo.pipeline.finetune`: a checkpoint plus a user's data as a recipe (``zoo.finetune``).
"""
