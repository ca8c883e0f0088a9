"""How good generated images are, judged by a zoo classifier: inception score and Fréchet distance.

The inception score (Salimans et al., 2016) is ``exp(E_x KL(p(y|x) || p(y)))`` over the
classifier's class probabilities: confident predictions (each image looks like one class) spread
evenly over the classes score high, at most the number of classes (10 for Fashion-MNIST). It is
computed on ``splits`` equal parts and reported as their mean and standard deviation, as
torch-fidelity's ``isc_features_to_metric`` (a test checks it on the same logits). The Fréchet
distance (Heusel et al., 2017, "FID" with Inception-v3) compares the Gaussians fitted to the
classifier's penultimate features of real and generated images:
``|mu_r - mu_g|^2 + tr(S_r + S_g - 2 (S_r S_g)^(1/2))``. Here the "inception" network is a
shipped zoo classifier (``resnet-fashion-mnist`` by default), not Inception-v3, so the numbers
compare across zoo runs, not with published FIDs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def inception_score(logits: Tensor, splits: int = 10) -> tuple[float, float]:
    """(N, K) class logits -> (mean, std) of the inception score over ``splits`` equal parts."""
    log_p = logits.double().log_softmax(1)
    scores = []
    for i in range(splits):
        part = log_p[i * len(log_p) // splits : (i + 1) * len(log_p) // splits]
        log_marginal = part.exp().mean(0, keepdim=True).log()
        scores.append((part.exp() * (part - log_marginal)).sum(1).mean().exp())
    scores = torch.stack(scores)
    return float(scores.mean()), float(scores.std(unbiased=False))


def gaussian(features: Tensor) -> tuple[Tensor, Tensor]:
    """(N, F) features -> (mean (F,), covariance (F, F)), in float64."""
    features = features.double()
    return features.mean(0), torch.cov(features.T)


def frechet_distance(real: Tensor, fake: Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to (N, F) and (M, F) features.

    ``tr((S_r S_g)^(1/2))`` is the sum of the square roots of the eigenvalues of ``S_r S_g``
    (real and non-negative for two covariances, up to rounding).
    """
    (mu_r, cov_r), (mu_g, cov_g) = gaussian(real), gaussian(fake)
    eigenvalues = torch.linalg.eigvals(cov_r @ cov_g)
    trace_sqrt = eigenvalues.sqrt().real.sum()
    return float((mu_r - mu_g).square().sum() + cov_r.trace() + cov_g.trace() - 2 * trace_sqrt)


class ClassifierFeatures(nn.Module):
    """A classifier's logits and the features its final linear layer reads, in one pass.

    Args:
        classifier: a zoo classifier (``zoo.load(name).model``), whose ``get_classifier()`` is
            its final linear layer.
        mean, std: the classifier's input normalisation (its checkpoint's preprocessing).
    """

    def __init__(self, classifier: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.classifier = classifier.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)
        self.head = self.classifier.get_classifier()  # the final nn.Linear (``zoo.contracts.Classifier``)

    @torch.no_grad()
    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """(B, C, H, W) pixels in [0, 1] -> (logits (B, K), features (B, F))."""
        seen: list[Tensor] = []
        hook = self.head.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
        try:
            logits = self.classifier((images - self.mean) / self.std)
        finally:
            hook.remove()
        return logits.float(), seen[-1].flatten(1).float()
