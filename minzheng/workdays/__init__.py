"""The official working-day calendar: holidays and make-up working days, as a data table."""
