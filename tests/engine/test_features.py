"""The less common corners of the language, run through the example harness on both backends."""

from __future__ import annotations

from minzheng.engine.fixtures import run_examples
from minzheng.engine.rules.loader import parse_ruleset

PERSON_RULE = """
ruleset: features_person
version: "1"
subject: person
parameters:
  old_age: integer
inputs:
  hospital:                      # a feed keyed by ID number, not by surrogate key
    key: id_number
    date: admitted_on
    columns: {days: integer, ward: text}
  utility:                       # a feed keyed by household
    key: household_sk
    date: billed_on
    columns: {arrears_fen: money}
facts:
  members: {of: household, count: person}
  elders: {of: household, count: person, where: age >= old_age}
  youngest: {of: household, max: person.birth_date}
  all_able: {of: household, all: person.labour_capacity = 'full'}
  stays_90d: {of: person, count: hospital, window: 90 days}
  longest_stay: {of: person, max: hospital.days, where: "ward like 'icu%'", window: 90 days}
  arrears_fen: {of: household, sum: utility.arrears_fen, window: 1 year}
  any_arrears: {of: household, any: utility.arrears_fen > 0}
conditions:
  frail:
    when: age >= old_age and (stays_90d >= 2 or coalesce(longest_stay, 0) > 7)
    explain: "{age} 岁，90 天内住院 {stays_90d} 次，最长 ICU {longest_stay} 天"
  alone_or_elderly_household:
    when: members = 1 or elders = members
  household_in_debt:
    when: any_arrears and arrears_fen between 10000 and 99999999 and not all_able
outputs:
  flag: frail and (alone_or_elderly_household or household_in_debt)
  severity:
    high: flag and household_in_debt
    low: frail
examples:
  - name: frail elder in an elderly household with arrears
    as_of: 2024-06-30
    given:
      parameter:
        - {name: old_age, division: "", value: 65, valid_from: 2000-01-01}
      household:
        - {household_sk: 1, hukou_division: "440106001"}
        - {household_sk: 2, hukou_division: "440106001"}
      person:
        - {person_sk: 1, household_sk: 1, birth_date: 1950-05-01, id_number: "A1", labour_capacity: none}
        - {person_sk: 2, household_sk: 1, birth_date: 1955-05-01, id_number: "A2", labour_capacity: full}
        - {person_sk: 3, household_sk: 2, birth_date: 1950-05-01, id_number: "B1"}
        - {person_sk: 4, household_sk: 2, birth_date: 1990-05-01, id_number: "B2"}
      hospital:
        - {id_number: "A1", admitted_on: 2024-06-01, days: 3, ward: general}
        - {id_number: "A1", admitted_on: 2024-04-15, days: 9, ward: icu-2}
        - {id_number: "A1", admitted_on: 2024-03-31, days: 30, ward: icu-1}   # outside 90 days
        - {id_number: "B1", admitted_on: 2024-05-01, days: 8, ward: icu-1}
        - {id_number: "ZZ", admitted_on: 2024-05-01, days: 99, ward: icu-1}   # nobody's
      utility:
        - {household_sk: 1, billed_on: 2024-01-31, arrears_fen: 15000}
        - {household_sk: 1, billed_on: 2023-06-30, arrears_fen: 999999}        # outside a year
    expect:
      - {person_sk: 1, flag: true, severity: high, frail: true, stays_90d: 2, longest_stay: 9,
         alone_or_elderly_household: true, household_in_debt: true, elders: 2, members: 2,
         arrears_fen: 15000, youngest: 1955-05-01, all_able: false,
         explain: ["74 岁，90 天内住院 2 次，最长 ICU 9 天"]}
      - {person_sk: 2, flag: false, severity: null, frail: false, stays_90d: 0, longest_stay: null,
         explain: [""]}  # no explain_false: a false condition has no sentence
      - {person_sk: 3, flag: false, severity: low, frail: true, household_in_debt: false,
         alone_or_elderly_household: false, any_arrears: false, all_able: true}
"""


def test_person_subject_feeds_by_id_number_and_household_feeds(runner):
    rs = parse_ruleset(PERSON_RULE, "features.yaml")
    outcomes = run_examples(rs, runner=runner)
    assert [f for o in outcomes for f in o.failures] == []
    assert outcomes[0].result is not None
    assert outcomes[0].result.table.num_rows == 4  # every person is a subject
