"""The lowest floor: clock, configuration, crypto, text rules and the event vocabulary.

Nothing here imports app code from a higher floor.
"""
