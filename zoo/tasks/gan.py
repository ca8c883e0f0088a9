"""Adversarial training of a :class:`zoo.models.gan.GAN` on image batches, scored by a zoo classifier.

Each training step (Goodfellow et al., 2014, with the generator's non-saturating loss):

1. the discriminator D takes one Adam step on ``BCE(D(x), 1) + BCE(D(G(z)), 0)``;
2. the generator G takes one on ``BCE(D(G(z)), 1)``, i.e. maximises log D(G(z)), which keeps
   its gradient alive while D still tells samples apart (the minimax ``log(1 - D(G(z)))``
   saturates there).

Real batches (``{"image": (B, C, H, W)}``, normalised by the data's preprocessing) are mapped to
[-1, 1], the generator's tanh range. Validation and test generate ``val_samples`` /
``test_samples`` images from noise seeded the same every time and score them with the
classifier ``scorer`` (``zoo.image_scores``): ``{stage}/inception_score`` (its std over 10 splits
as ``..._std``) and ``{stage}/frechet_distance`` to the stage's real images; the test also
reports the real test images' own score, ``test/inception_score_real``, the ceiling. After each
validation, a grid of ``grid_size`` samples from fixed noise is saved as
``samples/epoch_NNN.png`` in the run's folder.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.batch import IMAGE, Batch, field
from zoo.errors import ZooError
from zoo.image_scores import ClassifierFeatures, frechet_distance, inception_score
from zoo.models.gan import GAN


class GANTask(L.LightningModule):
    """Trains ``model`` adversarially (see the module docstring); logs ``train/d_loss``,
    ``train/g_loss``, ``train/d_real`` and ``train/d_fake`` (D's mean probability of "real" for
    real and generated images), and the scores.

    Args:
        model: the generator and discriminator.
        lr: Adam's learning rate for both (DCGAN: 2e-4).
        betas: Adam's betas for both (DCGAN: 0.5, 0.999).
        scorer: the zoo classifier that judges samples (a named checkpoint or a folder).
        val_samples: images generated for each validation's scores.
        test_samples: images generated for the test scores.
        grid_size: samples in each epoch's grid (a square number reads best).
        seed: seeds the scored samples' and the grid's noise.
    """

    checkpoint_task = "gan"
    keeps_labels = False  # an unconditional GAN draws no class: its checkpoint records none

    def __init__(
        self,
        model: GAN,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        scorer: str = "resnet-fashion-mnist",
        val_samples: int = 2000,
        test_samples: int = 10000,
        grid_size: int = 64,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.model, self.lr, self.betas = model, lr, tuple(betas)
        self.scorer_name, self.val_samples, self.test_samples = scorer, val_samples, test_samples
        self.grid_size, self.seed = grid_size, seed
        self._scorer: list[ClassifierFeatures] = []  # a list: not a submodule, not in the checkpoint
        self._real: dict[str, list[tuple[Tensor, Tensor]]] = {"val": [], "test": []}
        self.pixel_mean, self.pixel_std = 0.0, 1.0

    @property
    def objective(self) -> dict:
        """How the scores are measured, recorded in the checkpoint so evaluation measures alike."""
        return {"scorer": self.scorer_name, "test_samples": self.test_samples, "seed": self.seed}

    def setup(self, stage: str) -> None:
        from zoo.hub.pretrained import load

        preprocessing = getattr(self.trainer.datamodule, "preprocessing", None)
        if preprocessing is None or not hasattr(preprocessing, "mean"):
            raise ZooError("a GAN trains on image data whose preprocessing names its mean and std")
        self.pixel_mean = torch.tensor(preprocessing.mean).view(1, -1, 1, 1)
        self.pixel_std = torch.tensor(preprocessing.std).view(1, -1, 1, 1)
        if not self._scorer:
            scorer = load(self.scorer_name)
            if scorer.kind != "classification":
                raise ZooError(f"the scorer {self.scorer_name} is a {scorer.task} model; name an image classifier")
            p = scorer.preprocessing
            self._scorer.append(ClassifierFeatures(scorer.model, p.mean, p.std))

    def configure_optimizers(self):
        d = torch.optim.Adam(self.model.discriminator.parameters(), lr=self.lr, betas=self.betas)
        g = torch.optim.Adam(self.model.generator.parameters(), lr=self.lr, betas=self.betas)
        return [d, g]

    def pixels(self, batch: Batch) -> Tensor:
        """The batch's images as pixels in [0, 1]."""
        images = field(batch, IMAGE, "GAN training")
        return images * self.pixel_std.to(images) + self.pixel_mean.to(images)

    def training_step(self, batch: Batch, batch_idx: int) -> None:
        real = self.pixels(batch) * 2 - 1
        opt_d, opt_g = self.optimizers()
        fake = self.model(self.model.noise(len(real), device=real.device))
        ones, zeros = torch.ones(len(real), device=real.device), torch.zeros(len(real), device=real.device)

        self.toggle_optimizer(opt_d)
        real_logits, fake_logits = self.model.discriminator(real), self.model.discriminator(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(real_logits.float(), ones) + F.binary_cross_entropy_with_logits(
            fake_logits.float(), zeros
        )
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()
        self.untoggle_optimizer(opt_d)

        self.toggle_optimizer(opt_g)
        g_loss = F.binary_cross_entropy_with_logits(self.model.discriminator(fake).float(), ones)
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        self.untoggle_optimizer(opt_g)

        size = len(real)
        self.log("train/d_loss", d_loss, prog_bar=True, batch_size=size)
        self.log("train/g_loss", g_loss, prog_bar=True, batch_size=size)
        self.log("train/d_real", torch.sigmoid(real_logits.detach().float()).mean(), batch_size=size)
        self.log("train/d_fake", torch.sigmoid(fake_logits.detach().float()).mean(), batch_size=size)

    def _collect(self, batch: Batch, stage: str) -> None:
        self._real[stage].append(self._score(self.pixels(batch)))

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._collect(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._collect(batch, "test")

    def _score(self, pixels: Tensor) -> tuple[Tensor, Tensor]:
        scorer = self._scorer[0].to(pixels.device)
        with torch.autocast(pixels.device.type, enabled=False):
            return scorer(pixels.float())

    @torch.no_grad()
    def generate(self, num: int, seed: int, batch_size: int = 500) -> Tensor:
        """(num, C, H, W) pixels in [0, 1] from noise seeded by ``seed``, in eval mode."""
        was_training = self.model.training
        self.model.eval()
        images = self.model.sample(num, seed, batch_size)
        self.model.train(was_training)
        return images

    def _log_scores(self, stage: str, samples: int) -> None:
        real = self._real[stage]
        self._real[stage] = []
        if not real:
            return
        real_logits, real_features = (torch.cat(parts) for parts in zip(*real))
        if self.trainer.world_size > 1:  # every process scores all real images and the same samples
            real_logits, real_features = (self.all_gather(t).flatten(0, 1) for t in (real_logits, real_features))
        fake_logits, fake_features = zip(*(self._score(part) for part in self.generate(samples, self.seed).split(500)))
        fake_logits, fake_features = torch.cat(fake_logits), torch.cat(fake_features)
        score, spread = inception_score(fake_logits)
        self.log(f"{stage}/inception_score", score, sync_dist=False)
        self.log(f"{stage}/inception_score_std", spread, sync_dist=False)
        self.log(f"{stage}/frechet_distance", frechet_distance(real_features, fake_features), sync_dist=False)
        if stage == "test":
            self.log("test/inception_score_real", inception_score(real_logits)[0], sync_dist=False)

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            self._real["val"] = []
            return
        self._log_scores("val", self.val_samples)
        self.save_grid(Path(self.trainer.default_root_dir) / "samples" / f"epoch_{self.current_epoch:03d}.png")

    def on_test_epoch_end(self) -> None:
        self._log_scores("test", self.test_samples)

    def save_grid(self, path: Path) -> None:
        """Save the fixed-noise samples as one PNG grid (rank zero only)."""
        from zoo.image_grid import save_grid

        if self.trainer.is_global_zero:
            save_grid(self.generate(self.grid_size, self.seed + 1), path)
