"""The inception score and Fréchet distance against torch-fidelity's on the same numbers."""

import numpy as np
import pytest
import torch

import zoo
from zoo.datasets.fashion_mnist import FashionMNISTDataModule
from zoo.image_scores import ClassifierFeatures, frechet_distance, inception_score

fidelity_isc = pytest.importorskip("torch_fidelity.metric_isc")
fidelity_fid = pytest.importorskip("torch_fidelity.metric_fid")


def test_inception_score_is_torch_fidelitys_on_fixed_logits():
    logits = torch.randn(1000, 10, generator=torch.Generator().manual_seed(0)) * 3
    theirs = fidelity_isc.isc_features_to_metric(logits, splits=10, shuffle=False)
    ours = inception_score(logits, splits=10)
    assert ours[0] == pytest.approx(theirs["inception_score_mean"], abs=1e-9)
    assert ours[1] == pytest.approx(theirs["inception_score_std"], abs=1e-9)


def test_inception_score_spans_one_to_the_number_of_classes():
    assert inception_score(torch.zeros(100, 10))[0] == pytest.approx(1.0)  # no confidence
    one_class = torch.full((100, 10), -30.0)
    one_class[:, 3] = 30.0
    assert inception_score(one_class)[0] == pytest.approx(1.0)  # confident but one class
    every_class = torch.full((100, 10), -30.0)
    every_class[torch.arange(100), torch.arange(100) % 10] = 30.0
    assert inception_score(every_class, splits=1)[0] == pytest.approx(10.0, rel=1e-6)


def test_frechet_distance_is_torch_fidelitys_and_zero_for_the_same_features():
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(500, 16, generator=g), torch.randn(400, 16, generator=g) * 1.5 + 0.3
    theirs = fidelity_fid.fid_statistics_to_metric(
        fidelity_fid.fid_features_to_statistics(real.double()),
        fidelity_fid.fid_features_to_statistics(fake.double()),
        verbose=False,
    )
    assert frechet_distance(real, fake) == pytest.approx(theirs["frechet_inception_distance"], rel=1e-6)
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-6)


def test_the_shipped_classifier_scores_real_test_images_near_its_ceiling():
    data = FashionMNISTDataModule("embedded", batch_size=500, augment=False)
    data.setup()
    scorer_model = zoo.load("resnet-fashion-mnist")
    scorer = ClassifierFeatures(scorer_model.model, scorer_model.preprocessing.mean, scorer_model.preprocessing.std)
    pixels = [b["image"] * torch.tensor(data.std) + torch.tensor(data.mean) for b in data.test_dataloader()]
    logits, features = zip(*(scorer(p) for p in pixels))
    logits, features = torch.cat(logits), torch.cat(features)
    assert features.shape == (2000, 128) and np.isfinite(features.numpy()).all()
    assert 8.0 < inception_score(logits)[0] < 10.0  # confident and balanced: near 10
    half = frechet_distance(features[:1000], features[1000:])
    noise = frechet_distance(features[:1000], scorer(torch.rand(1000, 1, 28, 28))[1])
    assert half < noise / 20  # two halves of the test set are close; uniform noise is far
