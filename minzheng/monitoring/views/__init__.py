"""Monitoring pages: warnings (alerts.py), department-feed uploads (feeds.py) and the
clerical review of uncertain links (linkage.py)."""
