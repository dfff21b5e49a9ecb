"""The IMOOX privacy gateway: ASGI app, settings, CLI and database lifecycle."""
