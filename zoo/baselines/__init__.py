"""Non-Transformer baselines with the same input/output contract as the Transformer models."""

from zoo.baselines.audio_cnn import LogMelResNet
from zoo.baselines.resnet import CifarResNet
from zoo.baselines.rnn import RNNClassifier, RNNLanguageModel, RNNState

__all__ = ["CifarResNet", "LogMelResNet", "RNNClassifier", "RNNLanguageModel", "RNNState"]
