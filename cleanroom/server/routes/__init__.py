"""One router per resource; :func:`cleanroom.server.app.create_app` includes them all."""
