"""The register (registratura): the numbered, hash-chained entries and the request each one
registers (chain), who may read it and register in it (access), the desk's form as one JSON
Schema (entry_form), the register as people read and export it (book, pdf), and the joining
of identical petitions (conexare). The desk that registers at the counter, by post or e-mail
starts requests, so it lives in cases/.
"""
