"""The registry's REST API: serializers and viewsets only (rules live in services/selectors)."""
