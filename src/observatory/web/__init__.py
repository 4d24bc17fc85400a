"""FastAPI app: JSON API and server-rendered bilingual pages."""
