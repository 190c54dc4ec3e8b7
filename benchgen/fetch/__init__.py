"""Fetching trained weights and datasets: from mirrors, then the official URL, verified, never half-written.

Layering: below benchgen.measure (which resolves a variant's files through `local`), above
benchgen.paths and benchgen.registry's schema. Only `download` opens a connection, and only
`benchgen fetch` and `benchgen refresh --fetch` call it.
"""
