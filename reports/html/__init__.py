"""The HTML compatibility report, by what each part does: ``model`` (the view model's
frozen data), ``build`` (the model from a CheckResult), ``graph`` and ``layout`` (the
table graph and its geometry), ``panels`` (one panel per table), ``sections`` (closures,
coverage, timeline, live run) and ``render`` (Jinja2, writing the file)."""
