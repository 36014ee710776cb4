"""The users table and the chat transcript, built in Python with every value escaped.

A template costs several times as much for a page of 500 rows, and so does ``format_html``
(it escapes through two lazy-text wrappers per value): BENCHMARKS.md. Here every value
goes through Django's ``escape`` on its way into an f-string, and the hostile-text
property tests (tests/dashboard/test_users_table.py, test_transcript.py) hold every field
of both lists to it.
"""
