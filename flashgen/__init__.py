"""flashgen: flashcards and four levels of quizzes from local course folders."""

__version__ = "0.1.0"
