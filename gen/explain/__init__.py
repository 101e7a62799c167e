"""Explanation methods with one call shape: method(model, images, targets) -> Explanation.

One small file per method over gen/explain/base.py; the registry is gen/explain/methods.py.
"""
