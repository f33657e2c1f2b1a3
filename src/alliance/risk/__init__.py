"""Risk: fraud checks with reasons, a safe rule language, batch and streaming screening."""

__all__: list[str] = []
