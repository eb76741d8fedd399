"""Turning chunks into cards and questions: the generators, prompts, validation."""
