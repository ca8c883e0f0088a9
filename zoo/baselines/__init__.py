"""Non-Transformer baselines with the same input/output contract as the Transformer models."""

from zoo.baselines.audio_cnn import LogMelResNet
from zoo.baselines.resnet import CifarResNet
from zoo.baselines.rnn import RNNClassifier, RNNLanguageModel, RNNState
from zoo.baselines.seq2seq import RNNEncoderDecoder

__all__ = ["CifarResNet", "LogMelResNet", "RNNClassifier", "RNNEncoderDecoder", "RNNLanguageModel", "RNNState"]
