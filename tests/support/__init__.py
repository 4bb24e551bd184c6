"""Plain helpers the tests share, by subject; fixtures live in conftest.py, never here.

api: the JSON API's petition steps · web: forms with CSRF, pages checked · engine: steps
straight through the engine · seed: the seeded people · circuit: settings and the job log ·
citizens: CNPs and mail · drive/scenario: procedures driven through the API · designer:
diagrams and folders · register: the register filled and tampered with · security: apps on
changed settings, tokens, calls at once · cli: the `circuit` command · expressions: sandbox
escapes · browser: Chromium pages checked by axe-core.
"""
