"""Held-out data: every shipped checkpoint gets the test data its card was measured on, by the table."""

import pytest

import zoo
from zoo.hub.registry import list_models
from zoo.pipeline.evaluate import held_out_data

EXPECTED = {  # checkpoint -> its held-out datamodule (embedded, full); None: not embedded
    "vit-tiny-fashion-mnist": ("zoo.datasets.fashion_mnist.FashionMNISTDataModule",) * 2,
    "resnet-fashion-mnist": ("zoo.datasets.fashion_mnist.FashionMNISTDataModule",) * 2,
    "bert-tiny-rotten-tomatoes": ("zoo.datasets.rotten_tomatoes.RottenTomatoesDataModule",) * 2,
    "gru-rotten-tomatoes": ("zoo.datasets.rotten_tomatoes.RottenTomatoesDataModule",) * 2,
    "gpt-tiny-web-bible": ("zoo.datasets.web_bible.WebBibleDataModule",) * 2,
    "lstm-lm-web-bible": ("zoo.datasets.web_bible.WebBibleDataModule",) * 2,
    "ast-tiny-spoken-digits": ("zoo.datasets.spoken_digits.SpokenDigitsDataModule",) * 2,
    "cnn-spoken-digits": ("zoo.datasets.spoken_digits.SpokenDigitsDataModule",) * 2,
    "ast-tiny-spoken-language": (None, "zoo.datasets.spoken_language.SpokenLanguageDataModule"),
    "cnn-spoken-language": (None, "zoo.datasets.spoken_language.SpokenLanguageDataModule"),
    "bert-tiny-english": ("zoo.datasets.english_corpus.EnglishCorpusDataModule",) * 2,
    "vit-tiny-mae-fashion-mnist": ("zoo.datasets.fashion_mnist.FashionMNISTDataModule",) * 2,
    "cct-tiny-fashion-mnist": ("zoo.datasets.fashion_mnist.FashionMNISTDataModule",) * 2,
    "gpt-tiny-english": ("zoo.datasets.english_corpus.EnglishCorpusDataModule",) * 2,
    "ast-tiny-mae-tuxpaint-audio": (None, "zoo.datasets.tuxpaint_audio.TuxPaintAudioDataModule"),
    "transformer-tiny-bible-en-es": ("zoo.datasets.bible_en_es.BibleEnEsDataModule",) * 2,
    "lstm-attention-bible-en-es": ("zoo.datasets.bible_en_es.BibleEnEsDataModule",) * 2,
    "vatt-tiny-moving-fashion": ("zoo.datasets.moving_fashion.MovingFashionDataModule",) * 2,
    "word2vec-skipgram-web-bible": ("zoo.datasets.web_bible.WebBibleWordsDataModule",) * 2,
    "word2vec-cbow-web-bible": ("zoo.datasets.web_bible.WebBibleWordsDataModule",) * 2,
    "dcgan-fashion-mnist": ("zoo.datasets.fashion_mnist.FashionMNISTDataModule",) * 2,
    "retnet-tiny-web-bible": ("zoo.datasets.web_bible.WebBibleDataModule",) * 2,
}


def class_path(data) -> str | None:
    return None if data is None else f"{type(data).__module__}.{type(data).__qualname__}"


@pytest.mark.parametrize("entry", list_models(), ids=lambda entry: entry.name)
def test_held_out_data_is_the_dataset_the_checkpoint_was_measured_on(entry):
    model = zoo.load(entry.name)
    embedded, full = held_out_data(model), held_out_data(model, "full")  # built, not read: no data needed
    assert (class_path(embedded), class_path(full)) == EXPECTED[entry.name]
    if full is not None and hasattr(full, "variant"):
        assert (embedded.variant, full.variant) == ("embedded", "full")
    p = model.preprocessing
    if model.kind == "causal-lm":
        assert (full.objective, full.seq_len) == ("causal", p.max_len)  # windows of the model's context
    if p.kind == "words":
        assert full.preprocessing is p  # the model's vocabulary, window and negatives
    if p.kind == "audio":
        assert full.preprocessing == p  # the model's rate and clip length
