"""Reading a course: find lectures, extract text, clean it, cut it into chunks."""
