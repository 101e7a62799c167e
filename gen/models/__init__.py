"""The five models: their registry, architecture, training, evaluation, metrics and TF.js export."""
