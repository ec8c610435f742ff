"""The log format: zip tails of large ``.eval`` objects, header encoding, the inspect_ai shim."""
