"""One module per page group; :func:`cleanroom.console.install_console` includes them."""
