"""The digital archive: scanned documents imported from paper and every file Circuit stores,
with their metadata, their text (from a PDF's text layer or OCR), full-text search, who may
see what, and retention under the nomenclator."""
