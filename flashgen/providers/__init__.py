"""LLM provider adapters. Each adapter lives in its own module and imports its SDK lazily."""
