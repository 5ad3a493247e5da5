"""Networks: front-ends, backbones (ResNet-18, musicnn), their cached embeddings, heads and their training,
a trained model as one file. Imports the data layer and the foundation."""
