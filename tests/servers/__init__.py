"""Local stand-ins for hosted audio-LLM APIs: they decode the audio they receive and answer from it."""
