"""What the stand-ins that inject faults share (la_standin.py, fault_proxy.py):
the rule fields they have in common, checked alike; the seeded draw that
decides the rules with a rate; a hung answer; the threaded server. Python
standard library only. tests/standins/README.md describes the rules."""

import json
import random
import select
import threading
from http.server import ThreadingHTTPServer

# Fields every stand-in's rules take; each adds its own.
COMMON_KEYS = {"match", "times", "rate", "status", "retry_after", "delay", "close", "hang",
               "error", "message"}
# How often a hung request looks whether its client gave up or the stand-in
# is stopping.
HANG_POLL_SECONDS = 0.2


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_rules(value, own_keys=(), check_own=None, own_answers=()):
    """Validates a JSON rule list; raises ValueError with a readable reason.

    own_keys: the stand-in's own fields; check_own(raw, rule, where) checks
    them into `rule` (raising ValueError). own_answers: those of them that
    answer a request, like status, close and hang do (one answer a rule)."""
    if not isinstance(value, list):
        raise ValueError("rules must be a JSON list")
    allowed = COMMON_KEYS | set(own_keys)
    rules = []
    for i, raw in enumerate(value):
        where = "rule %d" % i
        if not isinstance(raw, dict):
            raise ValueError(where + " is not an object")
        unknown = set(raw) - allowed
        if unknown:
            raise ValueError(where + " has unknown keys " + ", ".join(sorted(unknown)))
        rule = {"times": 1}
        if "match" in raw:
            if not isinstance(raw["match"], str) or not raw["match"]:
                raise ValueError(where + ": match must be a non-empty string")
            rule["match"] = raw["match"]
        if "status" in raw:
            s = raw["status"]
            if not _integer(s) or not 100 <= s <= 599:
                raise ValueError(where + ": status must be an integer 100..599")
            rule["status"] = s
        if "times" in raw:
            t = raw["times"]
            if not _integer(t) or t < -1:
                raise ValueError(where + ": times must be an integer >= -1")
            rule["times"] = t
        if "retry_after" in raw:
            r = raw["retry_after"]
            # Retry-After is delay-seconds: a non-negative integer (RFC 9110).
            if not _integer(r) or r < 0:
                raise ValueError(where + ": retry_after must be a non-negative integer")
            rule["retry_after"] = r
        if "delay" in raw:
            d = raw["delay"]
            if not _number(d) or d < 0:
                raise ValueError(where + ": delay must be a non-negative number")
            rule["delay"] = float(d)
        if "rate" in raw:
            r = raw["rate"]
            if not _number(r) or not 0 < r <= 1:
                raise ValueError(where + ": rate must be a number above 0 and at most 1")
            rule["rate"] = float(r)
        for key in ("close", "hang"):
            if key in raw:
                if not isinstance(raw[key], bool):
                    raise ValueError(where + ": %s must be true or false" % key)
                rule[key] = raw[key]
        for key in ("error", "message"):
            if key in raw:
                if not isinstance(raw[key], str):
                    raise ValueError(where + ": %s must be a string" % key)
                rule[key] = raw[key]
        if check_own:
            check_own(raw, rule, where)
        # close and hang may be given as false; an own answer may be 0.
        answers = [k for k in ("status", "close", "hang") + tuple(own_answers)
                   if k in rule and rule[k] is not False]
        if len(answers) > 1:
            raise ValueError(where + ": %s exclude each other" % " and ".join(answers))
        if rule.get("hang") is True and "delay" in rule:
            raise ValueError(where + ": hang never answers, so delay means nothing")
        if not answers and "delay" not in rule:
            raise ValueError(where + " does nothing: give %s or delay"
                             % ", ".join(("status", "close", "hang") + tuple(own_answers)))
        if any(k in rule for k in ("retry_after", "error", "message")) and "status" not in rule:
            raise ValueError(where + ": retry_after, error and message need a status")
        rules.append(rule)
    return rules


def initial_rules(parser, args, parse):
    """The --rules a stand-in was started with, checked by `parse` (a usage
    error when bad), and args.seed drawn when none was given, so that the
    stand-in can log it and a run be repeated."""
    try:
        rules = parse(json.loads(args.rules))
    except ValueError as e:
        parser.error("--rules: %s" % e)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2 ** 32)
    return rules


class RuleBook:
    """The rules in force, shared by the handler threads, and the seeded
    generator that decides the rules with a rate."""

    def __init__(self, rules, seed):
        self.lock = threading.Lock()
        self.rules = rules
        self.random = random.Random(seed)

    def replace(self, rules):
        with self.lock:
            self.rules = rules

    def snapshot(self):
        """The rules with their remaining times."""
        with self.lock:
            return [dict(r) for r in self.rules]

    def take(self, applies):
        """The first live rule for a request, as (index, copy), or (None,
        None); consumes one of its times. `applies(rule)` says whether a
        rule's own conditions hold. The request draws one number u in
        [0, 1); the rules that apply and have a rate take consecutive bands
        of [0, 1) in list order, and such a rule is the one only when u
        falls in its band."""
        with self.lock:
            u = self.random.random()
            band = 0.0
            for index, rule in enumerate(self.rules):
                if rule["times"] == 0 or not applies(rule):
                    continue
                if "rate" in rule:
                    low, band = band, band + rule["rate"]
                    if not low <= u < band:
                        continue
                if rule["times"] > 0:
                    rule["times"] -= 1
                return index, dict(rule)
        return None, None


def rules_endpoint(book, method, body, parse):
    """/_control/rules as every ruled stand-in serves it: GET lists the rules
    in force, POST replaces them (parsed by `parse`), DELETE clears them.
    Returns (200, reply), (400, why the POSTed rules do not parse), or None
    for another method."""
    if method == "GET":
        return 200, {"rules": book.snapshot()}
    if method == "POST":
        try:
            book.replace(parse(json.loads(body.decode("utf-8"))))
        except (ValueError, UnicodeDecodeError) as e:
            return 400, str(e)
        return 200, {"rules": book.snapshot()}
    if method == "DELETE":
        book.replace([])
        return 200, {"rules": []}
    return None


class Server(ThreadingHTTPServer):
    """A stand-in's threaded server: its handlers reach the shared `state`
    as self.server.state; a hung request does not keep it from stopping."""

    daemon_threads = True

    def __init__(self, address, family, handler, state):
        self.address_family = family
        self.state = state
        super().__init__(address, handler)


def hold_until_closed(sock, stopping):
    """A hung answer: nothing is sent and the connection stays open until
    the client closes its end (its stall or total timeout ran out) or the
    `stopping` event is set. Whatever the client sends is discarded."""
    while not stopping.is_set():
        try:
            readable, _, _ = select.select([sock], [], [], HANG_POLL_SECONDS)
            if readable and not sock.recv(65536):
                return
        except OSError:
            return
