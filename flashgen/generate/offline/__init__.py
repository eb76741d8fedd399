"""The offline (extractive) generator."""
