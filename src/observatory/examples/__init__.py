"""The bundled example city: published figures and a seeded synthetic generator."""
