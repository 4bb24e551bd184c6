"""The register (registratura): the numbered, hash-chained entries (chain), the registry desk
that registers what comes in at the counter, by post or e-mail (desk), the register as
people read and export it (book, pdf), and the joining of identical petitions (conexare).
"""
