"""Generic data code every dataset uses: batches of named fields (``batch``), splits, folders
and zips of images, audio and text files, language-model corpora, preprocessing, tokenizers,
transforms and the cache. The built-in datasets live in ``zoo.datasets``. Data only: no
models, no training. Nothing is imported here, so importing one module costs only its own."""
