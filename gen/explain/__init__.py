"""Explanation methods, one file each, with one call shape:
`method(model, images, targets=None, *, score="probability", layer=None, **parameters) -> Explanation`.

gen/explain/base.py holds what they share; gen/explain/registry.py lists their `Method` records."""
