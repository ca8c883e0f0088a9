"""Masked-patch pretraining (MAE) of the shared backbone, for images and spectrograms.

He et al., "Masked Autoencoders Are Scalable Vision Learners", 2021,
https://arxiv.org/abs/2111.06377: a random ``mask_ratio`` of the patches is dropped, the
encoder (front-end + backbone, the parts a fine-tuned classifier keeps) sees the rest, and
``MaskedPatchDecoder`` predicts the dropped patches' values; the loss is the mean squared
error on dropped patches only, against each patch's values normalised by its own mean and
variance (``norm_pix_loss``, the paper's better target). Audio is the same on log-mel patches
(Huang et al., "Masked Autoencoders that Listen", 2022); patches in a clip's zero padding are
never kept and never scored.

Training draws a new mask every step; validation and test draw the same masks every epoch
(seeded by the batch index), so their losses compare.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.contracts import PatchFrontEnd
from zoo.data.batch import Batch, model_input
from zoo.errors import ZooError
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory, default_optimizer
from zoo.tasks.stages import SeededEvalMasks, StagedTask


class MaskedAutoencoderTask(SeededEvalMasks, StagedTask):
    """Args:
        model: a ``UnimodalModel`` whose front-end has ``patch_values`` (``PatchEmbed``,
            ``SpectrogramPatchEmbed``) and whose head is a ``MaskedPatchDecoder``.
        mask_ratio: share of patches dropped (0.75 in MAE; at least one patch stays).
        norm_pix_loss: normalise each target patch by its mean and variance.
        optimizer, lr_scheduler: as the other tasks take them.

    Logged names: ``train/loss``, ``val/loss``, ``test/loss`` (mean squared error on the
    dropped patches).
    """

    checkpoint_task = "masked-autoencoder"

    def __init__(
        self,
        model: nn.Module,
        mask_ratio: float = 0.75,
        norm_pix_loss: bool = True,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        if not 0 < mask_ratio < 1:
            raise ZooError(f"mask_ratio must be between 0 and 1, got {mask_ratio}")
        if not isinstance(model.frontend, PatchFrontEnd):
            raise ZooError(
                f"{type(model.frontend).__name__} has no patch_values(x); masked-patch pretraining needs a patch "
                "front-end (zoo.contracts.PatchFrontEnd)"
            )
        self.model, self.mask_ratio, self.norm_pix_loss = model, mask_ratio, norm_pix_loss
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler

    @property
    def objective(self) -> dict:
        """The loss's settings, recorded in the checkpoint so ``zoo.pipeline.evaluate`` scores it alike."""
        return {"mask_ratio": self.mask_ratio, "norm_pix_loss": self.norm_pix_loss}

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Raw input -> (predicted (B, N, patch_dim), target (B, N, patch_dim), scored (B, N) bool:
        the dropped patches that are not padding)."""
        frontend = self.model.frontend
        tokens, target = frontend.embed_with_patch_values(x)  # (B, P + N, D), (B, N, patch_dim)
        P = frontend.num_prefix_tokens
        B, N = tokens.shape[0], tokens.shape[1] - P
        padding = self.model.padding_mask(x)  # (B, P + N) or None
        noise = torch.rand(B, N, device=tokens.device, generator=generator)
        if padding is not None:
            noise = noise + padding[:, P:].float()  # padding sorts last: never kept
        keep = max(1, round(N * (1 - self.mask_ratio)))
        order = noise.argsort(dim=1)  # (B, N) patches to keep first
        restore = order.argsort(dim=1)
        kept = order[:, :keep]
        visible = torch.gather(tokens[:, P:], 1, kept[..., None].expand(-1, -1, tokens.shape[-1]))
        encoder_padding = None
        if padding is not None:
            encoder_padding = torch.cat([padding[:, :P], torch.gather(padding[:, P:], 1, kept)], dim=1)
        encoded = self.model.backbone(torch.cat([tokens[:, :P], visible], dim=1), encoder_padding)
        grid = frontend.patch_grid(x)
        predicted = self.model.head(encoded, padding, restore=restore, grid=grid, num_prefix_tokens=P)
        target = target.to(predicted.dtype)
        if self.norm_pix_loss:
            mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
            target = (target - mean) / (var + 1e-6).sqrt()
        dropped = torch.gather((torch.arange(N, device=x.device) >= keep).expand(B, -1), 1, restore)
        scored = dropped if padding is None else dropped & ~padding[:, P:]
        return predicted, target, scored

    def _step(self, batch: Batch, stage: str) -> Tensor:
        x = model_input(batch)
        predicted, target, scored = self(x, self.mask_generator(x.device, stage))
        error = (predicted.float() - target.float()).pow(2).mean(-1)  # (B, N)
        loss = (error * scored).sum() / scored.sum().clamp(min=1)
        self.log(f"{stage}/loss", loss, prog_bar=True, sync_dist=stage != "train", batch_size=len(x))
        return loss
