"""The English-Spanish Bible: markup cleaning, RV1909's titles and capitals, book splits."""

import pytest

from zoo.datasets import bible_en_es as b

CASING = {"jehová": "Jehová", "fueron": "fueron", "en": "en"}


def test_markup_is_stripped_without_gluing_words_and_notes_are_dropped():
    markup = ('<w lemma="strong:H0430">God</w><note placement="foot">The Hebrew word is Elohim.</note>'
              '<w lemma="strong:H1254">created</w> <w>the</w> <w>earth</w>. ¡<w>OH</w> (<w>Selah</w>.)')  # fmt: skip
    assert b.plain_text(markup) == "God created the earth. ¡OH (Selah.)"


@pytest.mark.parametrize(
    ("text", "verse", "titled", "expected"),
    [
        ("EN el principio crió Dios", 1, False, "En el principio crió Dios"),
        ("Y FUERON acabados los cielos", 1, False, "Y fueron acabados los cielos"),
        ("Cántico gradual. A JEHOVÁ llamé", 1, True, "A Jehová llamé"),
        ("Salmo de David, cuando huía. ¡OH Jehová, cuánto", 1, True, "¡Oh Jehová, cuánto"),
        ("ALEPH. BIENAVENTURADOS los perfectos", 1, True, "Bienaventurados los perfectos"),
        ("BETH ¿Con qué limpiará el joven", 9, True, "¿Con qué limpiará el joven"),
        ("Aleluya. ALABAD á Dios", 1, False, "Aleluya. Alabad á Dios"),
        ("Yo soy JEHOVÁ tu Dios", 2, False, "Yo soy JEHOVÁ tu Dios"),  # not a chapter's start: kept
    ],
)
def test_rv1909_titles_and_chapter_initial_capitals(text, verse, titled, expected):
    assert b.fix_spanish(text, verse, titled, CASING) == expected


def test_usual_casing_is_the_form_inside_sentences():
    assert b.usual_casing(["Dijo Jehová á Moisés.", "Y Jehová habló.", "Jehová es."])["jehová"] == "Jehová"


def test_the_embedded_books_split_as_documented_and_are_full_test_books():
    splits = b.load_splits("embedded")
    assert {name: len(pairs) for name, pairs in splits.items()} == {"train": 1533, "val": 85, "test": 45}
    assert splits["train"][0] == ("In the beginning, God created the heavens and the earth.",
                                  "En el principio crió Dios los cielos y la tierra.")  # fmt: skip
    assert {"Ruth", "Jonah"} <= set(b.TEST_BOOKS)
    assert not set(b.TEST_BOOKS) & set(b.VAL_BOOKS)
    assert b.load_splits("embedded", reverse=True)["test"][0] == splits["test"][0][::-1]
