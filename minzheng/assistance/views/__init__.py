"""Assistance pages: the to-do list, a case with its next steps, publicity, rosters.

Every page goes through ``Case.objects.visible_to`` (or the household's own
``visible_to``), so a case outside the user's jurisdiction is a 404; each step posts to
one service in :mod:`minzheng.assistance.cases` and shows its bilingual error if refused.
"""
