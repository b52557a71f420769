"""pytest at the repository root: the docs' configuration and build output are not tests (the
pages' examples are: ``docs/*.md`` runs as doctests)."""

collect_ignore = ["docs/conf.py"]
collect_ignore_glob = ["docs/_build/*", "docs/generated/*", "docs/jupyter_execute/*",
                       "docs/tutorials/*"]
