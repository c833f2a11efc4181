"""One router per resource; :func:`cleanroom.app.create_app` includes them all."""
