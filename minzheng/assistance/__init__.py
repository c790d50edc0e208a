"""Social assistance: dated parameters, eligibility rules, cases, enrolments, payments."""
