"""No registry models in the Django admin: the administrator roles see no personal data.

Caseworkers work in the registry pages, which apply jurisdiction and audit every read.
"""
