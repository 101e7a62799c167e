"""What the Model Sees: a static-site generator that trains face classifiers and explains them."""
