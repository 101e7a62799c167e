"""Age ranges with a coverage guarantee, and MMD-critic prototypes and criticisms of the models' embeddings."""
