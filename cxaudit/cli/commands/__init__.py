"""The ``cxaudit`` commands, one module each: the command's options, its
help and what it does with the core's result. :mod:`cxaudit.cli.main`
registers them on the app; the options they share are
:mod:`cxaudit.cli.options`, their exit codes :mod:`cxaudit.cli.exit_codes`."""
