"""The web face of medcite: server-rendered pages and the /api/v1 JSON API (``create_app``)."""
