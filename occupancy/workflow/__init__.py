"""The review workflow: what people do with a flag after detection raised it.

``states`` (which transitions exist), ``actions`` (assign, record a visit, dismiss, ...),
``history`` (the flag's events), ``reflag`` (when detection may flag a dismissed unit again),
``worklist`` (a grid worker's door-knock list in walking order) and ``labels`` (visit
outcomes exported for retraining). No HTTP here: routes call these and map their errors.
"""
