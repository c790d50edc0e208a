"""Statistics pages: dashboards and the big screen, aggregate data entry and approval, and
the list of people behind a figure. Each module lists its own routes in ``urls``."""
