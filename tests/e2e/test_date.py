#!/usr/bin/env python3
# test_date.py - end-to-end check of the Date header (SPEC 2, RFC 9110 6.6.1):
# on a host the clock is trusted, so every response carries exactly one Date,
# an IMF-fixdate within a second or two of the host clock: on a 200, on 4xx
# answers and on a framing error that closes. Run by CTest (e2e.date):
#   test_date.py --chatbell PATH --send PATH [-k NAME] [-v]

import calendar
import email.utils
import os
import re
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import ChatbellCase, build_request, make_event, webhook_request  # noqa: E402

IMF_FIXDATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] "
                         r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
                         r"[0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT")


class DateTests(ChatbellCase):
    """Date on every response while the clock is trusted (the host's always is)."""

    def setUp(self):
        # a board's clock is trusted once SNTP answered: its driver says so
        if H.REMOTE["url"] and os.environ.get("CB_E2E_CLOCK") != "trusted":
            raise unittest.SkipTest("a board's clock is untrusted until SNTP: no Date there")
        super().setUp()

    def exchange_dated(self, data):
        """Sends data on a new connection; returns the response and its Date as Unix seconds."""
        before = time.time()
        resp = self.server.exchange(data)
        return resp, self.check_date(resp, before, time.time())

    def check_date(self, resp, before, after):
        """resp has one Date, an IMF-fixdate between the host clock's before and after."""
        self.assertEqual(resp.header_count("Date"), 1, "want one Date, headers %r" % resp.headers)
        value = resp.header("Date")
        self.assertRegex(value, "^%s$" % IMF_FIXDATE.pattern)
        secs = calendar.timegm(time.strptime(value, "%a, %d %b %Y %H:%M:%S GMT"))
        # the weekday agrees with the date
        self.assertEqual(email.utils.formatdate(secs, usegmt=True), value)
        # whole seconds, so the truncated second may sit just below `before`
        self.assertGreaterEqual(secs, int(before) - 1, "Date %r, host clock %.3f" % (value, before))
        self.assertLessEqual(secs, after + 1, "Date %r, host clock %.3f" % (value, after))
        return secs

    def test_accepted_event_has_date(self):
        resp, _ = self.exchange_dated(webhook_request(make_event()))
        self.assertAccepted(resp)

    def test_healthz_has_date(self):
        resp, _ = self.exchange_dated(build_request("GET", "/healthz"))
        self.assertEqual(resp.status, 200)

    def test_not_found_has_date(self):
        resp, _ = self.exchange_dated(build_request("GET", "/no-such-path"))
        self.assertError(resp, 404, "not_found")

    def test_invalid_json_has_date(self):
        resp, _ = self.exchange_dated(webhook_request(make_event(), body=b'{"a":1,"a":2}'))
        self.assertEqual(resp.status, 400)
        self.assertError(resp, 400, "invalid_json")

    def test_framing_error_has_date_and_closes(self):
        resp, _ = self.exchange_dated(b"GET /healthz HTTP/1.1\r\n\r\n")  # no Host
        self.assertError(resp, 400, "bad_request", close=True)

    def test_chunk_extension_error_has_date_and_closes(self):
        data = (b"POST " + H.WEBHOOK.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n2;\r\n{}\r\n0\r\n\r\n")
        resp, _ = self.exchange_dated(data)
        self.assertError(resp, 400, "bad_request", close=True)

    def test_date_follows_the_clock_on_one_connection(self):
        dates = []
        with self.server.conn() as c:
            for _ in range(2):
                before = time.time()
                c.send(build_request("GET", "/healthz"))
                dates.append(self.check_date(c.read_final()[1], before, time.time()))
                time.sleep(1.1)
        self.assertGreaterEqual(dates[1] - dates[0], 1)


if __name__ == "__main__":
    H.main()
