"""indexnow-sync: submit only what a deploy added or changed to IndexNow.

Importing the package is cheap on purpose (`indexnow-sync --version` must start fast):
nothing heavy (lxml, requests, yaml) is imported here.
"""

__version__ = "1.0.0"
